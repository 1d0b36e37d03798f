// The HTTP API: health, /metrics, the figures of a shop's day, orders from the shop's order
// system, and the manual clock. Answers through a callback, possibly from a shard's thread.
#pragma once

#include <boost/beast/http.hpp>

#include <functional>
#include <string>

namespace sb::net {

class Server;

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Respond = std::function<void(HttpResponse)>;

// Which endpoints a listener serves: everything, or split between a public listener (chats,
// orders, health) and an admin one (/metrics, figures, admin API, health).
enum class Surface { all, public_only, admin_only };

void handle_api(Server& server, HttpRequest req, Respond respond, Surface surface = Surface::all);

HttpResponse error_response(boost::beast::http::status status, unsigned version, bool keep_alive, const std::string& message);

}  // namespace sb::net
