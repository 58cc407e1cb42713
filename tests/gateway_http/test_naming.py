"""Namespacing is unambiguous: names split at the first ``__`` and prefixes have no ``_``."""

from __future__ import annotations

from garrison.gateway.http.naming import Namespace, UriRoutes

NS = Namespace({"files": "files", "search": "search", "local": ""})


def test_same_tool_on_two_upstreams_gets_two_names_that_route_back() -> None:
    assert NS.public("files", "echo") == "files__echo"
    assert NS.public("search", "echo") == "search__echo"
    assert NS.route("files__echo") == ("files", "echo")
    assert NS.route("search__echo") == ("search", "echo")


def test_original_names_with_double_underscores_survive() -> None:
    assert NS.public("files", "read__all") == "files__read__all"
    assert NS.route("files__read__all") == ("files", "read__all")


def test_transparent_upstream_keeps_names_but_cannot_shadow_a_prefix() -> None:
    assert NS.public("local", "echo") == "echo"
    assert NS.route("echo") == ("local", "echo")
    assert NS.public("local", "files__echo") is None
    assert NS.public("local", "other__echo") == "other__echo"
    assert NS.route("other__echo") == ("local", "other__echo")


def test_unknown_names_do_not_route_without_a_transparent_upstream() -> None:
    ns = Namespace({"a": "a", "b": "b"})
    assert ns.route("c__echo") is None
    assert ns.route("echo") is None
    assert ns.route("a__") is None


def test_uri_routes_exact_then_longest_template_and_first_listing_wins() -> None:
    routes = UriRoutes()
    assert routes.learn("files", ["file:///a", "file:///b"], ["file:///{path}"]) == []
    assert routes.learn("search", ["file:///a", "search://q"], ["search://{q}", "file:///docs/{name}"]) == ["file:///a"]
    assert routes.route("file:///a") == "files"
    assert routes.route("search://q") == "search"
    assert routes.route("file:///docs/x") == "search"
    assert routes.route("file:///other") == "files"
    assert routes.route("ftp://nothing") is None
    routes.forget("files")
    assert routes.route("file:///a") is None
