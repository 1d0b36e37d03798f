#include "chat_client.hpp"

#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "net/codec.hpp"
#include "net/ws_client.hpp"

#include <memory>

#include "app/commands.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

std::mutex out_mutex;

void print(const std::string& line) {
  std::lock_guard lock(out_mutex);
  std::cout << line << std::endl;
}

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

}  // namespace

int run_chat(const ChatOptions& o) {
  net::WsClient client;
  if (const std::string err = client.connect(o.host, o.port); !err.empty()) {
    std::cerr << "switchboard chat: cannot connect to " << o.host << ":" << o.port << ": " << err << "\n";
    return 1;
  }
  v1::ClientMessage hello;
  hello.set_request_id("hello");
  auto* h = hello.mutable_hello();
  h->set_role(o.role == "agent" ? v1::ROLE_AGENT : o.role == "supervisor" ? v1::ROLE_SUPERVISOR : v1::ROLE_CUSTOMER);
  h->set_shop_id(o.shop);
  if (o.role == "customer" && o.token.empty()) h->set_member_id(o.person);
  h->set_token(o.token);
  client.send_text(net::to_json(hello));

  std::atomic<bool> done{false};
  std::string session;  // the session plain text goes to
  std::mutex session_mutex;
  std::thread reader([&] {
    while (!done) {
      auto frame = client.recv(std::chrono::milliseconds(200));
      if (!frame) {
        if (client.closed()) {
          print("-- connection closed (code " + std::to_string(client.close_code()) + ")");
          done = true;
        }
        continue;
      }
      v1::ServerMessage m;
      std::string err;
      if (net::from_json(*frame, m, err) && m.has_assigned()) {
        std::lock_guard lock(session_mutex);
        session = m.assigned().session_id();
      }
      print("<< " + *frame);
    }
  });
  print(help_text);
  std::string line;
  int seq = 0;
  while (!done && std::getline(std::cin, line)) {
    if (line.empty()) continue;
    v1::ClientMessage m;
    m.set_request_id("c" + std::to_string(++seq));
    std::istringstream words(line);
    std::string cmd;
    words >> cmd;
    std::string rest;
    std::getline(words >> std::ws, rest);
    std::string current;
    {
      std::lock_guard lock(session_mutex);
      current = session;
    }
    if (cmd == "/quit") break;
    if (cmd == "/help") {
      print(help_text);
      continue;
    }
    if (cmd == "/json") {
      std::string err;
      if (!net::from_json(rest, m, err)) {
        print("-- not a ClientMessage: " + err);
        continue;
      }
    } else if (cmd == "/enter") {
      std::istringstream a(rest);
      std::string skill;
      a >> skill;
      m.mutable_enter()->set_skill(skill);
    } else if (cmd == "/cancel") {
      m.mutable_cancel();
    } else if (cmd == "/rate") {
      m.mutable_rate()->set_session_id(current);
      m.mutable_rate()->set_score(std::atoi(rest.c_str()));
    } else if (cmd == "/leave") {
      m.mutable_leave_message()->set_text(rest);
    } else if (cmd == "/close") {
      m.mutable_close_session()->set_session_id(rest.empty() ? current : rest);
    } else if (status_of(cmd.substr(1)) != v1::AGENT_STATUS_UNSPECIFIED) {
      m.mutable_set_agent_status()->set_status(status_of(cmd.substr(1)));
    } else if (cmd == "/status") {
      std::istringstream a(rest);
      std::string agent, st;
      a >> agent >> st;
      m.mutable_set_agent_status()->set_agent_id(agent);
      m.mutable_set_agent_status()->set_status(status_of(st));
    } else if (cmd == "/session") {
      std::lock_guard lock(session_mutex);
      session = rest;
      continue;
    } else if (cmd == "/transfer") {
      m.mutable_transfer()->set_session_id(current);
      if (rest.rfind("skill:", 0) == 0) m.mutable_transfer()->set_to_skill(rest.substr(6));
      else m.mutable_transfer()->set_to_agent_id(rest);
    } else if (cmd == "/messages") {
      m.mutable_list_left_messages();
    } else if (cmd == "/answer") {
      std::istringstream a(rest);
      std::string id;
      a >> id;
      std::string text;
      std::getline(a >> std::ws, text);
      m.mutable_reply_left_message()->set_message_id(id);
      m.mutable_reply_left_message()->set_text(text);
    } else if (cmd == "/view") {
      m.mutable_get_shop_view();
    } else if (cmd == "/watch") {
      m.mutable_watch_session()->set_session_id(rest);
    } else if (cmd == "/window") {
      std::istringstream a(rest);
      std::string agent;
      int n = 0;
      a >> agent >> n;
      m.mutable_set_window()->set_agent_id(agent);
      m.mutable_set_window()->set_window(n);
    } else if (cmd[0] == '/') {
      print("-- unknown command " + cmd + "; /help lists them");
      continue;
    } else {
      m.mutable_send_text()->set_session_id(o.role == "customer" ? std::string() : current);
      m.mutable_send_text()->set_text(line);
    }
    const std::string json = net::to_json(m);
    print(">> " + json);
    if (!client.send_text(json)) break;
  }
  // Let the last replies arrive before closing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  done = true;
  reader.join();
  client.close();
  return 0;
}

void add_chat_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<ChatOptions>();
  auto connect = std::make_shared<std::string>("127.0.0.1:8080");
  auto* cmd = app.add_subcommand("chat", "Chat over WebSocket from the terminal as a customer, agent or supervisor");
  cmd->add_option("--connect", *connect, "HOST:PORT of the server");
  cmd->add_option("--shop", o->shop, "Shop id")->required();
  cmd->add_option("--role", o->role, "customer, agent or supervisor")->required();
  cmd->add_option("--as", o->person, "Your id, for the prompt (the token names who you are)");
  cmd->add_option("--token", o->token, "Your token (a customer's from the shop's site; none as a guest)");
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
