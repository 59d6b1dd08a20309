"""Turns FastAPI's validation errors into short answers that echo no input back."""

from typing import Any

from fastapi.exceptions import RequestValidationError

from gateway.errors import InvalidJson, InvalidRequest

_PATTERN_HINTS = {
    "contentType": "must be a media type such as image/png, with no line breaks",
    "checksumSHA256": "must be the base64 SHA-256 of the bytes (44 characters)",
}
_JSON_ERRORS = {"json_invalid", "json_type"}
JSON_BODY_RULE = "The request body must be a JSON object encoded as UTF-8."


def describe_validation_error(error: RequestValidationError) -> InvalidRequest:
    problems = list(error.errors())
    if any(problem.get("type") in _JSON_ERRORS for problem in problems):
        return InvalidJson(JSON_BODY_RULE)
    if any(_whole_body_is_not_an_object(problem) for problem in problems):
        return InvalidRequest(
            "The request body must be a JSON object, sent with "
            "'Content-Type: application/json'.",
            errors=[{"field": "body", "message": "must be a JSON object"}],
        )
    errors = [_describe(problem) for problem in problems]
    fields = ", ".join(sorted({entry["field"] for entry in errors}))

    return InvalidRequest(f"The request is not valid: {fields}.", errors=errors)


def _whole_body_is_not_an_object(problem: dict[str, Any]) -> bool:
    return (
        tuple(problem.get("loc", ())) == ("body",) and problem.get("type") != "missing"
    )


def _describe(problem: dict[str, Any]) -> dict[str, str]:
    location = [
        str(part) for part in problem.get("loc", ()) if part not in {"body", "query"}
    ]
    field = ".".join(location) or "body"
    kind = problem.get("type", "")
    message = str(problem.get("msg", "is not valid"))
    if kind == "string_pattern_mismatch":
        message = _PATTERN_HINTS.get(field, "has a form that is not accepted")
    elif kind == "extra_forbidden":
        message = "is not a known field"

    return {"field": field, "message": message}
