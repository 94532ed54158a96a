"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

import rightsaware_web

_NULLABLE_STRING = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


PROBLEMS = {
    "400": _problem("The request is malformed: the detail says what to change."),
    "401": _problem("No valid API key was sent."),
    "404": _problem("There is no such instrument or response."),
    "409": _problem("The response is closed, or an earlier request with the same Idempotency-Key failed."),
    "413": _problem("The body is larger than the server accepts."),
    "415": _problem("The body is not sent as application/json."),
    "422": _problem("Some answers were refused (see `errors`); valid ones were kept (see `response`)."),
    "429": _problem("Too many requests from this address; wait for Retry-After seconds."),
    "503": _problem("The instrument's translations are missing on the server."),
}


def _problems(*codes: str) -> dict[str, Any]:
    return {code: PROBLEMS[code] for code in codes}


def _lang(languages: list[str]) -> dict[str, Any]:
    return {"name": "lang", "in": "query", "required": False,
            "description": "Language of the text: en (English), cy (Cymraeg) or gd (Gàidhlig).",
            "schema": {"enum": languages}}


def _schemas(instrument_ids: list[str], languages: list[str]) -> dict[str, Any]:
    return {
        "Choice": {"type": "object", "required": ["code", "label"], "properties": {
            "code": {"type": "string"}, "label": {"type": "string"}}},
        "Question": {"type": "object", "required": ["name", "kind", "type", "label", "required", "choices"],
                     "properties": {
                         "name": {"type": "string"},
                         "kind": {"enum": ["select_one", "select_multiple", "integer", "decimal", "text", "date",
                                           "note"]},
                         "type": {"type": "string"}, "label": {"type": "string"}, "hint": _NULLABLE_STRING,
                         "required": {"type": "boolean"}, "relevant": _NULLABLE_STRING,
                         "constraint": _NULLABLE_STRING, "constraint_message": _NULLABLE_STRING,
                         "choices": {"type": "array", "items": _ref("Choice")}}},
        "Instrument": {"type": "object",
                       "required": ["id", "version", "title", "language", "languages", "questions"],
                       "properties": {
                           "id": {"type": "string"}, "version": {"type": "string"}, "title": {"type": "string"},
                           "description": _NULLABLE_STRING, "language": {"type": "string"},
                           "languages": {"type": "array", "items": {"type": "string"}},
                           "questions": {"type": "array", "items": _ref("Question")}}},
        "InstrumentList": {"type": "object", "required": ["instruments"], "properties": {
            "instruments": {"type": "array", "items": {"type": "object", "required": ["id", "version", "title",
                                                                                      "languages"], "properties": {
                "id": {"type": "string"}, "version": {"type": "string"}, "title": {"type": "string"},
                "languages": {"type": "array", "items": {"type": "string"}}}}}}},
        "StoredValue": {
            "description": "A choice code, a list of codes, a whole number, a decimal as text, an ISO date or text.",
            "type": ["string", "integer", "array", "null"], "items": {"type": "string"}},
        "AnswerIn": {
            "description": "What the respondent answered: text or a number as typed, a choice code, a list of "
                           "choice codes, or null to skip an optional question.",
            "anyOf": [{"type": "string", "maxLength": 4000}, {"type": "number"},
                      {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 100},
                      {"type": "null"}]},
        "ResponseCreate": {"type": "object", "required": ["instrument_id"], "additionalProperties": False,
                           "properties": {"instrument_id": {"enum": instrument_ids} if instrument_ids
                                                          else {"type": "string"},
                                          "language": {"enum": languages}}},
        "AnswersIn": {"type": "object", "required": ["answers"], "additionalProperties": False, "properties": {
            "answers": {"type": "object", "minProperties": 1, "maxProperties": 500,
                        "additionalProperties": _ref("AnswerIn")}}},
        "ResponseState": {"type": "object", "required": ["id", "instrument_id", "instrument_version", "language",
                                                         "status", "completed", "answers", "next_question", "notes",
                                                         "progress"],
                          "properties": {
                              "id": {"type": "string"}, "instrument_id": {"type": "string"},
                              "instrument_version": {"type": "string"}, "language": {"type": "string"},
                              "status": {"enum": ["active", "completed", "abandoned"]},
                              "completed": {"type": "boolean"},
                              "answers": {"type": "object", "additionalProperties": _ref("StoredValue")},
                              "next_question": {"anyOf": [_ref("Question"), {"type": "null"}]},
                              "notes": {"type": "array", "items": _ref("Question")},
                              "progress": {"type": "object", "required": ["answered", "remaining"], "properties": {
                                  "answered": {"type": "integer", "minimum": 0},
                                  "remaining": {"type": "integer", "minimum": 0}}},
                              "ignored": {"type": "array", "items": {"type": "string"},
                                          "description": "Answers to questions that skip logic does not ask."}}},
        "AnswerError": {"type": "object", "required": ["question", "code", "message"], "properties": {
            "question": {"type": "string"}, "code": {"type": "string"},
            "message": {"type": "string", "description": "In the response's language."}}},
        "Problem": {"type": "object", "required": ["title", "status", "detail"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "errors": {"type": "array", "items": _ref("AnswerError")},
            "response": _ref("ResponseState")}},
    }


def openapi_document(site: Any, root_path: str = "") -> dict[str, Any]:
    """The OpenAPI document of this deployment's JSON API (its instruments and languages)."""
    instrument_ids = list(site.runtime.instruments.ids())
    languages = list(site.available())
    lang = _lang(languages)
    secured = [{"apiKey": []}]
    links = {"GetResponse": {"operationId": "getResponse", "parameters": {"response_id": "$response.body#/id"}},
             "Answer": {"operationId": "answer", "parameters": {"response_id": "$response.body#/id"}}}
    response_id = {"name": "response_id", "in": "path", "required": True, "schema": {"type": "string"}}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "rightsaware survey API", "version": rightsaware_web.__version__,
            "description": "Instruments in English, Welsh and Gaelic; responses and answers checked by the same "
                           "engine as every other channel. Writing needs an API key.",
        },
        "paths": {
            "/api/instruments": {"get": {
                "operationId": "listInstruments", "summary": "The instruments offered here",
                "responses": {"200": _json(_ref("InstrumentList"), "Every instrument, with its languages.")}}},
            "/api/instruments/{instrument_id}": {"get": {
                "operationId": "getInstrument", "summary": "An instrument in one language",
                "parameters": [{"name": "instrument_id", "in": "path", "required": True,
                                "schema": {"enum": instrument_ids} if instrument_ids else {"type": "string"}},
                               lang],
                "responses": {"200": _json(_ref("Instrument"), "The instrument's text in the language asked for."),
                              **_problems("400", "404", "503")}}},
            "/api/responses": {"post": {
                "operationId": "createResponse", "summary": "Start a response", "security": secured,
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "description": "Repeat a request with the same key to get the same response.",
                                "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                                           "pattern": "^[\\x21-\\x7e]+$"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ResponseCreate")}}},
                "responses": {
                    "201": _json(_ref("ResponseState"), "Started; the first question is in next_question.",
                                 headers={"Location": {"schema": {"type": "string"}}}, links=links),
                    "200": _json(_ref("ResponseState"), "Already started by a request with this Idempotency-Key."),
                    **_problems("400", "401", "404", "409", "413", "415", "429", "503")}}},
            "/api/responses/{response_id}": {"get": {
                "operationId": "getResponse", "summary": "A response's answers and next question",
                "security": secured, "parameters": [response_id],
                "responses": {"200": _json(_ref("ResponseState"), "The response."), **_problems("401", "404")}}},
            "/api/responses/{response_id}/answers": {"post": {
                "operationId": "answer", "summary": "Give or change answers", "security": secured,
                "parameters": [response_id, lang],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AnswersIn")}}},
                "responses": {"200": _json(_ref("ResponseState"), "Every answer was accepted."),
                              **_problems("400", "401", "404", "409", "413", "415", "422", "429")}}},
        },
        "components": {
            "schemas": _schemas(instrument_ids, languages),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "A key from RIGHTSAWARE_API_KEYS."}},
        },
    }
    if root_path:
        document["servers"] = [{"url": root_path}]
    return document
