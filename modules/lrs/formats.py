"""How statements are returned: ``format=exact`` (as stored), ``ids`` (Agents, Groups,
Activities and Verbs reduced to their identifiers) or ``canonical`` (language maps
reduced to the best language the client accepts) — xAPI 1.0.3 Communication 2.1.3."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAPS = ("display", "name", "description")


def as_format(statement: dict[str, Any], fmt: str, languages: list[str]) -> dict[str, Any]:
    if fmt == "ids":
        return _ids_statement(statement)
    if fmt == "canonical":
        return _canonical(statement, languages)
    return statement


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    reduced = {k: agent[k] for k in ("objectType", *IFIS) if k in agent}
    if agent.get("objectType") == "Group" and not any(k in agent for k in IFIS):
        reduced["member"] = [_ids_agent(m) for m in agent.get("member") or ()]
    return reduced


def _ids_object(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _ids_agent(obj)
    if kind == "SubStatement":
        return _ids_statement(obj)
    if kind == "Activity":
        return {"id": obj["id"]}
    return {k: obj[k] for k in ("objectType", "id") if k in obj}


def _ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    reduced = dict(statement)
    reduced["actor"] = _ids_agent(statement["actor"])
    reduced["verb"] = {"id": statement["verb"]["id"]}
    reduced["object"] = _ids_object(statement["object"])
    if "authority" in statement:
        reduced["authority"] = _ids_agent(statement["authority"])
    context = statement.get("context")
    if context:
        context = dict(context)
        for role in ("instructor", "team"):
            if role in context:
                context[role] = _ids_agent(context[role])
        if "contextActivities" in context:
            context["contextActivities"] = {
                kind: [_ids_object(a) for a in (value if isinstance(value, list) else [value])]
                for kind, value in context["contextActivities"].items()
            }
        reduced["context"] = context
    return reduced


def best_language(language_map: dict[str, str], languages: list[str]) -> dict[str, str]:
    """The one entry of ``language_map`` the client prefers (its Accept-Language order,
    then a primary-tag match), else the first entry."""
    if len(language_map) <= 1:
        return language_map
    lowered = {k.lower(): k for k in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for tag, key in lowered.items():
            if tag.split("-")[0] == wanted.split("-")[0]:
                return {key: language_map[key]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def _canonical(value: Any, languages: list[str]) -> Any:
    if isinstance(value, list):
        return [_canonical(v, languages) for v in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key in LANGUAGE_MAPS and isinstance(item, dict) and all(isinstance(v, str) for v in item.values()):
            result[key] = best_language(item, languages)
        elif key == "extensions":
            result[key] = item
        else:
            result[key] = _canonical(item, languages)
    return result


def merged_definition(newest_first: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """One Activity definition from several statements' (newest first): language maps
    keep every language given, the newest text of each; other properties the newest."""
    merged: dict[str, Any] = {}
    for definition in reversed([d for d in newest_first if d]):
        for key, value in definition.items():
            if key in LANGUAGE_MAPS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def person(agent: dict[str, Any], seen: list[dict[str, Any]]) -> dict[str, Any]:
    """The xAPI Person object of an agent: every name and identifier known for it."""
    found: dict[str, list[Any]] = {"name": [], "mbox": [], "mbox_sha1sum": [], "openid": [], "account": []}
    for known in [agent, *seen]:
        for key in found:
            if key in known and known[key] not in found[key]:
                found[key].append(known[key])
    return {"objectType": "Person", **{k: v for k, v in found.items() if v}}
