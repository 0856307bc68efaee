"""Instagram likers saved with instaloader: one Profile structure per liker.

``Post.get_likes()`` yields a ``Profile`` per liker; ``instaloader.save_structure_to_file`` writes
each as ``{"node": {...}, "instaloader": {"version": ..., "node_type": "Profile"}}`` (pretty JSON,
or compact JSON in ``.json.xz``). Per post, either:

- a folder ``PATH/<creator_id>/<post_id>/`` with one such ``.json`` / ``.json.xz`` per liker, or
- a JSON Lines file ``PATH/<creator_id>/<post_id>.jsonl`` of such structures, or of bare
  profile nodes (the ``node`` alone, e.g. ``profile._node`` dumped per line).

Profile node field -> contract column (instaloader's ``structures.Profile`` reads the same keys;
the newer names are what its ``_normalize_profile_data`` maps from):

=================================================================  =====================
``id`` (or ``pk``)                                                 ``liker_id``
``username``                                                       ``username``
``edge_followed_by.count`` (or ``follower_count``)                 ``followers``
``edge_follow.count`` (or ``following_count``)                     ``following``
``edge_owner_to_timeline_media.count`` (or ``media_count``)        ``posts``
``biography`` (its length)                                         ``bio_length``
``has_anonymous_profile_picture`` (in the node or its              ``has_avatar`` (negated)
``iphone_struct``)
``is_private``                                                     ``is_private``
``is_verified``                                                    ``is_verified``
=================================================================  =====================

Honest gaps: Instagram shows no account creation date, and the likes listing gives no like time,
so ``account_created_at`` and ``liked_at`` are absent. ``Profile._asdict`` drops
``edge_owner_to_timeline_media`` when saving, and the likes listing's nodes carry no counts or
biography unless the profile's full metadata was fetched: those stay missing. ``has_avatar`` is
read only from Instagram's own ``has_anonymous_profile_picture`` flag (present in private-API
user objects): the default picture's URL is a CDN address that changes, so it is not guessed from
``profile_pic_url``, and without the flag the column is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detector.errors import SchemaError
from detector.sources._layout import (
    Export,
    Row,
    Source,
    depth,
    export_files,
    has_suffix,
    json_lines,
    load_json,
    text_length,
)

COLUMNS = (
    "creator_id",
    "post_id",
    "liker_id",
    "username",
    "followers",
    "following",
    "posts",
    "bio_length",
    "has_avatar",
    "is_private",
    "is_verified",
)

STRUCTURE = '{"node": {...}, "instaloader": {"node_type": "Profile", ...}}'
STRUCTURE_FILES = (".json", ".json.xz")


def is_structure(document: object) -> bool:
    """Anything ``save_structure_to_file`` wrote (a Post, a Profile, ...)."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("node"), dict)
        and isinstance(document.get("instaloader"), dict)
    )


def is_bare_node(document: object) -> bool:
    """A profile node as ``Profile.__init__`` accepts it: a ``username`` and an ``id`` or ``pk``."""
    return (
        isinstance(document, dict)
        and "username" in document
        and ("id" in document or "pk" in document)
    )


def claims(path: Path, document: object) -> bool:
    """A saved structure, or in a JSON Lines file also a bare profile node."""
    if path.name.lower().endswith(".jsonl"):
        return is_structure(document) or is_bare_node(document)
    return has_suffix(path, STRUCTURE_FILES) and is_structure(document)


def read(root: Path) -> Export:
    """Every liker of every post; a post given both as a folder and as ``.jsonl`` is refused."""
    export = Export()
    posts: dict[tuple[str, str], Path] = {}
    for path in export_files(root):
        levels = depth(root, path)
        if levels == 2 and path.name.lower().endswith(".jsonl"):
            key = (path.parent.name, path.name[: -len(".jsonl")])
            records = list(json_lines(path))
        elif levels == 3 and has_suffix(path, STRUCTURE_FILES):
            key = (path.parent.parent.name, path.parent.name)
            records = [(str(path), load_json(path))]
        else:
            raise SchemaError(f"{path}: not where {SOURCE.title} belong (expected {SOURCE.layout})")
        form = path if levels == 2 else path.parent  # the .jsonl file or the post's folder
        seen = posts.setdefault(key, form)
        if seen != form:
            raise SchemaError(
                f"{path}: post {key[1]} of {key[0]} is also saved as {seen} "
                f"(expected each post once: a folder or a .jsonl file)"
            )
        for where, record in records:
            node = _node(where, record, bare_allowed=levels == 2)
            export.rows.append(_row(key[0], key[1], node))
    return export


def _node(where: str, record: object, bare_allowed: bool) -> dict[str, Any]:
    if is_structure(record):
        assert isinstance(record, dict)
        kind = record["instaloader"].get("node_type")
        if kind != "Profile":
            raise SchemaError(
                f"{where}: an instaloader {kind} structure (expected a Profile structure "
                f"per liker, as Post.get_likes() yields them)"
            )
        node = record["node"]
    elif bare_allowed and isinstance(record, dict):
        node = record
    else:
        raise SchemaError(
            f"{where}: not an instaloader Profile structure (expected {STRUCTURE}, "
            f"as save_structure_to_file writes it)"
        )
    if not is_bare_node(node) or node.get("id", node.get("pk")) in (None, ""):
        raise SchemaError(
            f"{where}: a profile node without 'username' and 'id' (or 'pk') "
            f"(expected an Instagram profile node, as instaloader saves it)"
        )
    return node


def _count(node: dict[str, Any], edge: str, flat: str) -> object:
    """A count given as ``edge.count`` (the web API's form) or as a flat field (the newer one)."""
    value = node.get(edge)
    if isinstance(value, dict) and "count" in value:
        return value["count"]
    return node.get(flat)


def _anonymous_picture(node: dict[str, Any]) -> object:
    if "has_anonymous_profile_picture" in node:
        return node["has_anonymous_profile_picture"]
    iphone = node.get("iphone_struct")
    return iphone.get("has_anonymous_profile_picture") if isinstance(iphone, dict) else None


def _row(creator: str, post: str, node: dict[str, Any]) -> Row:
    anonymous = _anonymous_picture(node)
    return {
        "creator_id": creator,
        "post_id": post,
        "liker_id": node.get("id", node.get("pk")),
        "username": node.get("username"),
        "followers": _count(node, "edge_followed_by", "follower_count"),
        "following": _count(node, "edge_follow", "following_count"),
        "posts": _count(node, "edge_owner_to_timeline_media", "media_count"),
        "bio_length": text_length(node.get("biography")),
        "has_avatar": (not anonymous) if isinstance(anonymous, bool) else None,
        "is_private": node.get("is_private"),
        "is_verified": node.get("is_verified"),
    }


SOURCE = Source(
    name="instaloader",
    title="instaloader Profile structures",
    layout=(
        "PATH/<creator_id>/<post_id>/<liker>.json (or .json.xz), one saved Profile per liker, "
        "or PATH/<creator_id>/<post_id>.jsonl, one per line"
    ),
    columns=COLUMNS,
    claims=claims,
    read=read,
)
