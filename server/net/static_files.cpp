#include "static_files.hpp"

#include <fstream>
#include <sstream>

// The build's own server/web (sb_net's CMake sets it), for a config without server.web_dir.
#ifndef SB_WEB_DIR
#define SB_WEB_DIR "server/web"
#endif

namespace sb::net {

namespace http = boost::beast::http;

namespace {

bool plain_path(std::string_view p) {
  if (p.empty()) return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find('/', start), p.size());
    const std::string_view seg = p.substr(start, end - start);
    if (seg.empty() || seg.front() == '.') return false;
    for (char c : seg)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    start = end + 1;
  }
  return true;
}

const char* content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return nullptr;
}

}  // namespace

std::optional<HttpResponse> serve_static(const std::string& web_dir, const HttpRequest& req) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view prefix = "/app/";
  if (path == "/app") {
    HttpResponse r{http::status::moved_permanently, req.version()};
    r.set(http::field::location, "/app/");
    return r;
  }
  if (path.rfind(prefix, 0) != 0) return std::nullopt;
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return error_response(http::status::method_not_allowed, req.version(), req.keep_alive(), "files under /app/ are read with GET or HEAD");
  std::string_view name = path.substr(prefix.size());
  if (name.empty()) name = "index.html";
  const char* type = content_type(name);
  if (!plain_path(name) || type == nullptr)
    return error_response(http::status::not_found, req.version(), req.keep_alive(), "no file " + std::string(path) + " under /app/");
  std::ifstream in((web_dir.empty() ? std::string(SB_WEB_DIR) : web_dir) + "/" + std::string(name), std::ios::binary);
  std::ostringstream body;
  if (in) body << in.rdbuf();
  if (!in || body.str().size() > static_file_bytes_max)
    return error_response(http::status::not_found, req.version(), req.keep_alive(), "no file " + std::string(path) + " under /app/");
  HttpResponse r{http::status::ok, req.version()};
  r.set(http::field::content_type, type);
  r.set("X-Content-Type-Options", "nosniff");
  r.set(http::field::cache_control, "no-cache");
  r.set("Referrer-Policy", "no-referrer");
  // The widget's script runs on shops' own pages: other origins may load it (not read pages).
  if (std::string_view(type).rfind("text/javascript", 0) == 0 || std::string_view(type).rfind("text/css", 0) == 0)
    r.set("Cross-Origin-Resource-Policy", "cross-origin");
  else r.set("Cross-Origin-Resource-Policy", "same-origin");
  if (std::string_view(type).rfind("text/html", 0) == 0) {
    r.set("Content-Security-Policy", app_content_security_policy);
    r.set("X-Frame-Options", "DENY");
  }
  r.keep_alive(req.keep_alive());
  r.body() = req.method() == http::verb::head ? std::string() : body.str();
  if (req.method() == http::verb::head) r.content_length(body.str().size());
  return r;
}

}  // namespace sb::net
