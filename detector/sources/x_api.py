"""X API v2 ``GET /2/tweets/:id/liking_users`` responses, saved one page per file.

Request the pages with ``user.fields=created_at,public_metrics,description,profile_image_url,
protected,verified`` and save each response body as it came:
``PATH/<creator_id>/<post_id>.json`` (first page), ``<post_id>.2.json``, ``<post_id>.3.json``, ...
(the pages ``meta.next_token`` leads to). A response is ``{"data": [user, ...], "meta":
{"result_count": n, "next_token": ...}}``; ``data`` is absent when ``result_count`` is 0, and an
``errors`` array lists users the API could not return.

User object field -> contract column (a field not requested or not returned stays missing):

==================================  =====================
``id``                              ``liker_id``
``username``                        ``username``
``created_at``                      ``account_created_at``
``public_metrics.followers_count``  ``followers``
``public_metrics.following_count``  ``following``
``public_metrics.tweet_count``      ``posts``
``description`` (its length)        ``bio_length``
``profile_image_url``               ``has_avatar``: false for the default image (its URL
                                    has ``default_profile_images``)
``protected``                       ``is_private``
``verified``                        ``is_verified``
==================================  =====================

The endpoint gives no like time: ``liked_at`` is not in the rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detector.errors import SchemaError
from detector.sources._layout import (
    Export,
    Row,
    Source,
    load_json,
    paged_posts,
    text_length,
    unsaved_page_note,
)

DEFAULT_AVATAR = "default_profile_images"
"""Part of the URL of the picture X shows for an account that never set one."""

COLUMNS = (
    "creator_id",
    "post_id",
    "liker_id",
    "username",
    "account_created_at",
    "followers",
    "following",
    "posts",
    "bio_length",
    "has_avatar",
    "is_private",
    "is_verified",
)


def claims(path: Path, document: object) -> bool:
    """A liking_users response: an object with a ``data`` list, a ``meta`` object or an
    ``errors`` list (what the API returns, whatever else it holds)."""
    return (
        path.name.lower().endswith(".json")
        and isinstance(document, dict)
        and (
            isinstance(document.get("data"), list)
            or isinstance(document.get("meta"), dict)
            or isinstance(document.get("errors"), list)
        )
    )


def read(root: Path) -> Export:
    """Every saved page of every post, one row per user listed (a user on two pages of a post
    gives two rows: the contract counts an exact repeat once)."""
    export = Export()
    for (creator, post), pages in paged_posts(root, SOURCE).items():
        for page in pages:
            response = _response(page)
            export.rows.extend(_row(creator, post, user) for user in response.get("data", []))
            export.notes.extend(_errors_note(page, response))
        meta = response.get("meta")  # of the last page
        if isinstance(meta, dict) and meta.get("next_token"):
            export.notes.append(unsaved_page_note(pages, post, "next_token"))
    return export


def _response(page: Path) -> dict[str, Any]:
    """One saved page, checked: a response object whose ``data`` (if any) are users with ids."""
    response = load_json(page)
    if not claims(page, response) or not isinstance(response, dict):
        raise SchemaError(f"{page}: {_not_a_response(response)}")
    users = response.get("data", [])
    if not isinstance(users, list) or not all(
        isinstance(user, dict) and user.get("id") not in (None, "") for user in users
    ):
        raise SchemaError(
            f"{page}: 'data' is not a list of user objects with an 'id' "
            f"(expected the users who liked the post)"
        )
    return response


def _not_a_response(document: object) -> str:
    expected = (
        "expected a GET /2/tweets/:id/liking_users response: "
        '{"data": [users], "meta": {"result_count": ...}}'
    )
    if isinstance(document, dict) and "status" in document and "title" in document:
        return (
            f"an error response ({document['status']} {document['title']}), not a page of "
            f"likers; request the page again ({expected})"
        )
    return f"not a liking_users response ({expected})"


def _row(creator: str, post: str, user: dict[str, Any]) -> Row:
    metrics = user.get("public_metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    image = user.get("profile_image_url")
    return {
        "creator_id": creator,
        "post_id": post,
        "liker_id": user["id"],
        "username": user.get("username"),
        "account_created_at": user.get("created_at"),
        "followers": metrics.get("followers_count"),
        "following": metrics.get("following_count"),
        "posts": metrics.get("tweet_count"),
        "bio_length": text_length(user.get("description")),
        "has_avatar": DEFAULT_AVATAR not in image if isinstance(image, str) else None,
        "is_private": user.get("protected"),
        "is_verified": user.get("verified"),
    }


def _errors_note(page: Path, response: dict[str, Any]) -> list[str]:
    errors = response.get("errors")
    if not isinstance(errors, list) or not errors:
        return []
    first = errors[0] if isinstance(errors[0], dict) else {}
    what = first.get("detail") or first.get("title") or "no detail"
    return [
        f"{page}: the response lists {len(errors)} error(s) (first: {what}); "
        f"the likers it could not return are not in the data"
    ]


SOURCE = Source(
    name="x-api-v2",
    title="X API v2 liking_users responses",
    layout="PATH/<creator_id>/<post_id>.json, further pages <post_id>.2.json, <post_id>.3.json, ...",
    columns=COLUMNS,
    claims=claims,
    read=read,
)
