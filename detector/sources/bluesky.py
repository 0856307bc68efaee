"""Bluesky ``app.bsky.feed.getLikes`` responses, saved one page per file.

Why this source: Bluesky's AppView answers ``getLikes`` for any public post without a paid
tier or scraping, so it is what researchers and brands actually pull likers with, and it is the
one liker listing of the three that dates each like: the timing features (bursts, delays after
publication) work from it.

Layout as for X: ``PATH/<creator_id>/<post_id>.json`` (first page), ``<post_id>.2.json``, ...
(the pages ``cursor`` leads to). A response (lexicon ``app.bsky.feed.getLikes``) is
``{"uri": post AT-URI, "cid"?, "cursor"?, "likes": [{"indexedAt", "createdAt", "actor":
profileView}]}``; every page of a post must carry the same ``uri``.

Like / ``app.bsky.actor.defs#profileView`` field -> contract column:

===============================  ======================================================
``createdAt`` (of the like)      ``liked_at``
``actor.did``                    ``liker_id``
``actor.handle``                 ``username``
``actor.createdAt``              ``account_created_at``
``actor.description`` (length)   ``bio_length``: the view leaves the field out when the
                                 bio is empty, so absent counts as 0
``actor.avatar``                 ``has_avatar``: the view carries it exactly when the
                                 profile has a picture, so absent is false
``actor.verification``           ``is_verified``: ``verifiedStatus == "valid"``; missing
                                 without the field (older responses)
===============================  ======================================================

A profileView has no follower, follow or post counts (``getProfiles`` gives them: join them as
an accounts table), and Bluesky has no private accounts to tell: those columns stay absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detector.errors import SchemaError
from detector.sources._layout import Export, Row, Source, load_json, paged_posts, unsaved_page_note

COLUMNS = (
    "creator_id",
    "post_id",
    "liker_id",
    "liked_at",
    "username",
    "account_created_at",
    "bio_length",
    "has_avatar",
    "is_verified",
)

EXPECTED = 'expected an app.bsky.feed.getLikes response: {"uri": ..., "likes": [...]}'


def claims(path: Path, document: object) -> bool:
    """A getLikes response: an object with the post's ``uri`` and a ``likes`` list."""
    return (
        path.name.lower().endswith(".json")
        and isinstance(document, dict)
        and isinstance(document.get("likes"), list)
        and "uri" in document
    )


def read(root: Path) -> Export:
    """Every saved page of every post, one row per like listed."""
    export = Export()
    for (creator, post), pages in paged_posts(root, SOURCE).items():
        uri = None
        for page in pages:
            response = _response(page)
            if uri is not None and response["uri"] != uri:
                raise SchemaError(
                    f"{page}: likes of {response['uri']}, but the first page has {uri} "
                    f"(expected the pages of one post)"
                )
            uri = response["uri"]
            for position, like in enumerate(response["likes"]):
                export.rows.append(_row(creator, post, like, f"{page}: likes[{position}]"))
        if response.get("cursor"):
            export.notes.append(unsaved_page_note(pages, post, "cursor"))
    return export


def _response(page: Path) -> dict[str, Any]:
    response = load_json(page)
    if not claims(page, response) or not isinstance(response, dict):
        raise SchemaError(f"{page}: not a getLikes response ({EXPECTED})")
    return response


def _row(creator: str, post: str, like: object, where: str) -> Row:
    actor = like.get("actor") if isinstance(like, dict) else None
    if not isinstance(like, dict) or not isinstance(actor, dict) or not actor.get("did"):
        raise SchemaError(
            f"{where}: not a like with an actor and its 'did' "
            f'(expected {{"createdAt": ..., "actor": {{"did": ..., "handle": ...}}}})'
        )
    description = actor.get("description")
    verification = actor.get("verification")
    return {
        "creator_id": creator,
        "post_id": post,
        "liker_id": actor["did"],
        "liked_at": like.get("createdAt"),
        "username": actor.get("handle"),
        "account_created_at": actor.get("createdAt"),
        "bio_length": len(description) if isinstance(description, str) else 0,
        "has_avatar": bool(actor.get("avatar")),
        "is_verified": (
            verification.get("verifiedStatus") == "valid"
            if isinstance(verification, dict)
            else None
        ),
    }


SOURCE = Source(
    name="bluesky",
    title="Bluesky getLikes responses",
    layout="PATH/<creator_id>/<post_id>.json, further pages <post_id>.2.json, <post_id>.3.json, ...",
    columns=COLUMNS,
    claims=claims,
    read=read,
)
