"""Adjustments to the generated OpenAPI schema."""


def one_of_to_any_of(result, generator, request, public):
    """Staff and anonymised shapes of a record overlap (the anonymised fields are a subset), so a staff
    record matches both alternatives; `oneOf` demands exactly one match, `anyOf` states the truth."""

    def walk(node):
        if isinstance(node, dict):
            if "oneOf" in node:
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
