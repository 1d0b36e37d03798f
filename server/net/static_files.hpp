// The browser front-ends' files (docs/front-ends.md): GET or HEAD under /app/ serves a file of
// the web directory (server.web_dir) with its content type, a strict Content-Security-Policy
// on pages, nosniff, and no caching surprises. Only plain names ([A-Za-z0-9._-] segments, no
// dot first) are served, so nothing outside the directory can be named.
#pragma once

#include <optional>
#include <string>

#include "api.hpp"

namespace sb::net {

constexpr std::size_t static_file_bytes_max = 2 * 1024 * 1024;

// The page policy: scripts and styles from this server only, WebSockets to it, no framing.
constexpr const char* app_content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// nullopt: not an /app/ path (the API answers it).
std::optional<HttpResponse> serve_static(const std::string& web_dir, const HttpRequest& req);

}  // namespace sb::net
