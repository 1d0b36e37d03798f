// The terminal client: a reader thread prints what the server sends and reconnects (with the
// resume token) when the connection goes; the main thread turns typed lines into messages.
#include "chat_client.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/chat_lines.hpp"
#include "app/commands.hpp"
#include "net/codec.hpp"
#include "net/ws_client.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

v1::AgentStatus status_of(const std::string& word) {
  if (word == "online") return v1::AGENT_STATUS_ONLINE;
  if (word == "pause" || word == "paused") return v1::AGENT_STATUS_PAUSED;
  if (word == "offline") return v1::AGENT_STATUS_OFFLINE;
  return v1::AGENT_STATUS_UNSPECIFIED;
}

const char* help_text =
    "commands: plain text sends a chat message in the current session\n"
    "  customer:   /enter [skill]   /cancel   /rate N   /leave TEXT   /close\n"
    "  agent:      /online /pause /offline   /session ID   /transfer AGENT | /transfer skill:NAME\n"
    "              /close   /messages   /answer MESSAGE_ID TEXT\n"
    "  supervisor: /view   /watch SESSION   /window AGENT N   /status AGENT online|pause|offline\n"
    "  anyone:     /json {ClientMessage as JSON}   /quit";

// A typed command as a ClientMessage; false when the line is not one (an error already printed).
bool command_message(const std::string& cmd, const std::string& rest, const std::string& current, v1::ClientMessage& m,
                     std::string& problem) {
  std::istringstream a(rest);
  if (cmd == "/json") return net::from_json(rest, m, problem) || (problem = "not a ClientMessage: " + problem, false);
  if (cmd == "/enter") m.mutable_enter()->set_skill(rest);
  else if (cmd == "/cancel") m.mutable_cancel();
  else if (cmd == "/rate") {
    m.mutable_rate()->set_session_id(current);
    m.mutable_rate()->set_score(std::atoi(rest.c_str()));
  } else if (cmd == "/leave") m.mutable_leave_message()->set_text(rest);
  else if (cmd == "/close") m.mutable_close_session()->set_session_id(rest.empty() ? current : rest);
  else if (status_of(cmd.substr(1)) != v1::AGENT_STATUS_UNSPECIFIED) m.mutable_set_agent_status()->set_status(status_of(cmd.substr(1)));
  else if (cmd == "/status") {
    std::string agent, st;
    a >> agent >> st;
    m.mutable_set_agent_status()->set_agent_id(agent);
    m.mutable_set_agent_status()->set_status(status_of(st));
  } else if (cmd == "/transfer") {
    m.mutable_transfer()->set_session_id(current);
    if (rest.rfind("skill:", 0) == 0) m.mutable_transfer()->set_to_skill(rest.substr(6));
    else m.mutable_transfer()->set_to_agent_id(rest);
  } else if (cmd == "/messages") m.mutable_list_left_messages()->set_include_replied(true);
  else if (cmd == "/answer") {
    std::string id, text;
    a >> id;
    std::getline(a >> std::ws, text);
    m.mutable_reply_left_message()->set_message_id(id);
    m.mutable_reply_left_message()->set_text(text);
  } else if (cmd == "/view") m.mutable_get_shop_view();
  else if (cmd == "/watch") m.mutable_watch_session()->set_session_id(rest);
  else if (cmd == "/window") {
    std::string agent;
    int n = 0;
    a >> agent >> n;
    m.mutable_set_window()->set_agent_id(agent);
    m.mutable_set_window()->set_window(n);
  } else {
    problem = "unknown command " + cmd + "; /help lists them";
    return false;
  }
  return true;
}

class TerminalChat {
 public:
  explicit TerminalChat(const ChatOptions& o) : o_(o) {}

  int run() {
    if (!connect()) return 1;
    std::thread reader([this] { read_loop(); });
    print(help_text);
    std::string line;
    while (!done_ && std::getline(std::cin, line)) {
      if (line.empty()) continue;
      if (line == "/quit") break;
      typed(line);
    }
    // Let the last replies arrive before closing.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    done_ = true;
    reader.join();
    std::lock_guard lock(client_mutex_);
    if (client_) client_->close();
    return 0;
  }

 private:
  void print(const std::string& line) {
    std::lock_guard lock(out_mutex_);
    std::cout << line << std::endl;
  }

  bool connect() {
    auto c = std::make_shared<net::WsClient>();
    if (const std::string err = c->connect(o_.host, o_.port, "/ws/shops/" + o_.shop); !err.empty()) {
      print("-- cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + err);
      return false;
    }
    v1::ClientMessage hello;
    hello.set_request_id("hello");
    auto* h = hello.mutable_hello();
    h->set_role(o_.role == "agent" ? v1::ROLE_AGENT : o_.role == "supervisor" ? v1::ROLE_SUPERVISOR : v1::ROLE_CUSTOMER);
    h->set_shop_id(o_.shop);
    {
      std::lock_guard lock(state_mutex_);
      if (!resume_token_.empty()) h->set_resume_token(resume_token_);  // back after a drop: the chat is held for us
      else h->set_token(o_.token);
      for (const auto& [session, seq] : seen_) (*h->mutable_seen())[session] = seq;
    }
    c->send_text(net::to_json(hello));
    std::lock_guard lock(client_mutex_);
    client_ = std::move(c);
    return true;
  }

  // Reads until the connection goes, then comes back after the delay the server asked for (or
  // a growing one), with the resume token; gives up after reconnects_max attempts in a row.
  void read_loop() {
    int attempts = 0;
    while (!done_) {
      const auto client = [&] {
        std::lock_guard lock(client_mutex_);
        return client_;
      }();
      auto frame = client ? client->recv(std::chrono::milliseconds(200)) : std::nullopt;
      if (frame) {
        attempts = 0;
        show(*frame);
        continue;
      }
      if (!closed()) continue;
      const int asked = reconnect_after_ms_.exchange(0);
      const int delay_ms = asked > 0 ? asked : std::min(30'000, 500 << std::min(attempts, 6));
      if (++attempts > o_.reconnects_max) {
        print("-- the server is gone; giving up after " + std::to_string(o_.reconnects_max) + " attempts (type /quit)");
        return;
      }
      print("-- connection closed; reconnecting in " + std::to_string(delay_ms) + " ms");
      for (int waited = 0; waited < delay_ms && !done_; waited += 50) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!done_) connect();
    }
  }

  bool closed() {
    std::lock_guard lock(client_mutex_);
    return !client_ || client_->closed();
  }

  void show(const std::string& frame) {
    v1::ServerMessage m;
    std::string err;
    if (!net::from_json(frame, m, err)) return print("<< " + frame);
    remember(m);
    if (o_.json) return print("<< " + frame);
    for (const auto& line : readable_lines(m, offset_)) print(line);
  }

  // What a reconnect needs: the resume token, the last seq seen per session, where to type.
  void remember(const v1::ServerMessage& m) {
    std::lock_guard lock(state_mutex_);
    if (m.has_welcome()) {
      resume_token_ = m.welcome().resume_token();
      offset_ = m.welcome().utc_offset_minutes();
    }
    if (m.has_shutdown()) reconnect_after_ms_ = static_cast<int>(m.shutdown().reconnect_after_ms());
    if (m.has_assigned()) session_ = m.assigned().session_id();
    if (m.has_chat_message()) seen_[m.chat_message().session_id()] = std::max(seen_[m.chat_message().session_id()], m.chat_message().seq());
    if (m.has_resumed())
      for (const auto& s : m.resumed().sessions()) {
        session_ = s.session_id();
        for (const auto& h : s.history()) seen_[s.session_id()] = std::max(seen_[s.session_id()], h.seq());
      }
  }

  void typed(const std::string& line) {
    v1::ClientMessage m;
    std::string current;
    {
      std::lock_guard lock(state_mutex_);
      current = session_;
    }
    if (line[0] == '/') {
      std::istringstream words(line);
      std::string cmd, rest;
      words >> cmd;
      std::getline(words >> std::ws, rest);
      if (cmd == "/help") return print(help_text);
      if (cmd == "/session") {
        std::lock_guard lock(state_mutex_);
        session_ = rest;
        return;
      }
      std::string problem;
      if (!command_message(cmd, rest, current, m, problem)) return print("-- " + problem);
      m.set_request_id("c" + std::to_string(++seq_));
    } else {
      m.set_request_id("t" + std::to_string(++seq_));  // texts: their acks are not shown
      m.mutable_send_text()->set_session_id(o_.role == "customer" ? std::string() : current);
      m.mutable_send_text()->set_text(line);
    }
    send(m);
  }

  void send(const v1::ClientMessage& m) {
    const std::string json = net::to_json(m);
    if (o_.json) print(">> " + json);
    std::lock_guard lock(client_mutex_);
    if (!client_ || !client_->send_text(json)) print("-- not connected: not sent (reconnecting)");
  }

  const ChatOptions& o_;
  std::mutex out_mutex_, client_mutex_, state_mutex_;
  std::shared_ptr<net::WsClient> client_;
  std::atomic<bool> done_{false};
  std::string resume_token_, session_;
  std::map<std::string, std::uint64_t> seen_;
  int offset_ = 0;
  std::atomic<int> reconnect_after_ms_{0};
  int seq_ = 0;
};

}  // namespace

int run_chat(const ChatOptions& o) { return TerminalChat(o).run(); }

void add_chat_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<ChatOptions>();
  auto connect = std::make_shared<std::string>("127.0.0.1:8080");
  auto* cmd = app.add_subcommand("chat", "Chat over WebSocket from the terminal as a customer, agent or supervisor");
  cmd->add_option("--connect", *connect, "HOST:PORT of the server");
  cmd->add_option("--shop", o->shop, "Shop id")->required();
  cmd->add_option("--role", o->role, "customer, agent or supervisor")->required();
  cmd->add_option("--as", o->person, "Your id, for the prompt (the token names who you are)");
  cmd->add_option("--token", o->token, "Your token (a customer's from the shop's site; none as a guest)");
  cmd->add_flag("--json", o->json, "Print every protocol message as JSON instead of readable lines");
  commands.push_back({cmd, [o, connect] {
                        try {
                          parse_listen(*connect, "--connect", o->host, o->port);
                        } catch (const ConfigError& e) {
                          std::cerr << "switchboard chat: " << e.what() << "\n";
                          return 2;
                        }
                        return run_chat(*o);
                      }});
}

}  // namespace sb::app
