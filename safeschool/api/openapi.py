"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from safeschool.concerns.models import Category, ConcernType, PupilRole

_ERRORS = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}
_NOT_FOUND = {"description": "No such record, or not visible to this token's user."}
_UNAUTHORISED = {"description": "Missing or invalid token."}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "SafeSchool API",
        "version": "1",
        "description": "Find pupils and record safeguarding concerns from other systems. "
        "Create a token with `safeschool create-token USERNAME`; it acts as that "
        "user at one school, with that user's permissions.",
    },
    "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    "security": [{"token": []}],
    "paths": {
        "/api/v1/pupils/": {
            "get": {
                "summary": "Pupils of the token's school whose name contains the search text",
                "parameters": [
                    {
                        "name": "search",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Up to 25 matches",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "results": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "id": {"type": "string", "format": "uuid"},
                                                    "name": {"type": "string"},
                                                    "first_name": {"type": "string"},
                                                    "last_name": {"type": "string"},
                                                    "year_group": {"type": "string"},
                                                },
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "401": _UNAUTHORISED,
                },
            }
        },
        "/api/v1/concerns/": {
            "post": {
                "summary": "Record a concern; the safeguarding team is alerted at once",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["pupils", "category", "type", "summary"],
                                "properties": {
                                    "pupils": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "role"],
                                            "properties": {
                                                "id": {"type": "string", "format": "uuid"},
                                                "role": {"enum": list(PupilRole.values)},
                                            },
                                        },
                                    },
                                    "category": {"enum": list(Category.values)},
                                    "type": {"enum": list(ConcernType.values)},
                                    "summary": {"type": "string", "minLength": 1},
                                    "urgent": {"type": "boolean", "default": False},
                                    "location": {"type": "string"},
                                    "immediate_action": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Recorded",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string", "format": "uuid"},
                                        "reference": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "400": {
                        "description": "Field errors; nothing saved",
                        "content": {"application/json": {"schema": _ERRORS}},
                    },
                    "401": _UNAUTHORISED,
                },
            }
        },
        "/api/v1/concerns/{id}/": {
            "get": {
                "summary": "One concern, if the token's user may see it (every read is audited)",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
                "responses": {
                    "200": {"description": "The concern"},
                    "401": _UNAUTHORISED,
                    "404": _NOT_FOUND,
                },
            }
        },
    },
}
