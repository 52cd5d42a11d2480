"""Errors in OpenAI's JSON shape, with the real API's wording.

Every error the offline server sends is
``{"error": {"message", "type", "param", "code"}}`` (the ``ErrorResponse``
schema of OpenAI's OpenAPI spec). The messages below copy the wording the
real API uses for the same mistake, so a notebook that shows an error
shows the one a student would meet online.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

from typing import Any

INVALID = "invalid_request_error"


class ApiError(Exception):
    """An HTTP error answer: status code plus OpenAI's error fields.

    Introduced in 06_gpt51_agent_loop.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {message, type, param, code}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def _kind(value: Any) -> str:
    """The JSON type name the real API uses in ``invalid_type`` errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def invalid_json() -> ApiError:
    """400: the body is not JSON (the real API's exact text)."""
    return ApiError(
        400,
        "We could not parse the JSON body of your request. (HINT: This "
        "likely means you aren't using your HTTP library correctly. The "
        "OpenAI API expects a JSON payload, but what was sent was not "
        "valid JSON. If you have trouble figuring out how to fix this, "
        "please contact us through our help center at help.openai.com.)",
    )


def invalid_url(method: str, path: str) -> ApiError:
    """404: no such endpoint, e.g. ``Invalid URL (POST /v1/foo)``."""
    return ApiError(404, f"Invalid URL ({method} {path})")


def invalid_method(method: str, path: str) -> ApiError:
    """405: known path, wrong verb: ``Invalid method for URL (GET …)``."""
    return ApiError(405, f"Invalid method for URL ({method} {path})")


def too_large(size: int, limit: int) -> ApiError:
    """413: the body is over the server's limit (offline wording)."""
    return ApiError(
        413,
        f"Request body of {size} bytes is larger than the offline "
        f"server's limit of {limit} bytes.",
        code="request_too_large",
    )


def missing(param: str) -> ApiError:
    """400: ``Missing required parameter: 'model'.``"""
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def unknown_parameter(param: str) -> ApiError:
    """400: ``Unknown parameter: 'foo'.``"""
    return ApiError(
        400,
        f"Unknown parameter: '{param}'.",
        param=param,
        code="unknown_parameter",
    )


def invalid_type(param: str, expected: str, got: Any) -> ApiError:
    """400: ``Invalid type for 'x': expected a string, but got …``."""
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got "
        f"{_kind(got)} instead.",
        param=param,
        code="invalid_type",
    )


def invalid_value(param: str, value: Any, supported: list[str]) -> ApiError:
    """400: ``Invalid value: 'x'. Supported values are: 'a' and 'b'.``"""
    quoted = [f"'{s}'" for s in supported]
    if len(quoted) > 1:
        listed = ", ".join(quoted[:-1]) + ", and " + quoted[-1]
    else:
        listed = quoted[0] if quoted else "none"
    return ApiError(
        400,
        f"Invalid value: '{value}'. Supported values are: {listed}.",
        param=param,
        code="invalid_value",
    )


def bad_value(param: str, message: str) -> ApiError:
    """400 ``invalid_value`` with a free-form message."""
    return ApiError(400, message, param=param, code="invalid_value")


def previous_not_found(response_id: str) -> ApiError:
    """400: ``Previous response with id 'resp_…' not found.``"""
    return ApiError(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def missing_reasoning(fc_id: str, rs_id: str) -> ApiError:
    """400: a function_call sent back without its reasoning item."""
    return ApiError(
        400,
        f"Item '{fc_id}' of type 'function_call' was provided without "
        f"its required 'reasoning' item: '{rs_id}'.",
        param="input",
    )


def reasoning_without_follower(rs_id: str) -> ApiError:
    """400: a reasoning item sent back without the item that followed it."""
    return ApiError(
        400,
        f"Item '{rs_id}' of type 'reasoning' was provided without its "
        "required following item.",
        param="input",
    )


def item_not_persisted(item_id: str) -> ApiError:
    """404: an output item id from a ``store: false`` response."""
    return ApiError(
        404,
        f"Item with id '{item_id}' not found. Items are not persisted when "
        "`store` is set to false. Try again with `store` set to true, or "
        "remove this item from your input.",
        param="input",
    )


def no_tool_output(call_id: str) -> ApiError:
    """400: ``No tool output found for function call call_….``"""
    return ApiError(
        400,
        f"No tool output found for function call {call_id}.",
        param="input",
    )


def no_tool_call(call_id: str) -> ApiError:
    """400: a function_call_output whose call_id matches no call."""
    return ApiError(
        400,
        f"No tool call found for function call output with call_id "
        f"{call_id}.",
        param="input",
    )


def response_not_found(response_id: str) -> ApiError:
    """404: GET /v1/responses/{id} for an id that is not stored."""
    return ApiError(
        404,
        f"Response with id '{response_id}' not found.",
        param="response_id",
    )


def model_not_found(model: str) -> ApiError:
    """404: ``The model `x` does not exist or you do not have access…``."""
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access "
        "to it.",
        param="model",
        code="model_not_found",
    )


def encoder_unavailable(reason: str) -> ApiError:
    """503: the local sentence encoder cannot be loaded."""
    return ApiError(
        503,
        "The offline embeddings endpoint needs the local MiniLM encoder "
        "(jepa_helpers.encoders.MiniLMEncoder), which is not available: "
        f"{reason}",
        type="server_error",
        code="encoder_unavailable",
    )
