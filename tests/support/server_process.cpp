#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net/codec.hpp"
#include "net/token.hpp"

extern char** environ;

namespace sb::test {

namespace v1 = switchboard::v1;

std::string binary_path() {
  if (const char* p = std::getenv("SWITCHBOARD_BINARY")) return p;
  return SWITCHBOARD_BINARY;  // set by CMake
}

ServerProcess::ServerProcess(const std::string& shops_toml, const std::vector<std::string>& args,
                             const std::string& server_extra, const std::vector<std::string>& wrapper) {
  char tmpl[] = "/tmp/sb-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  const std::string config = dir_ + "/config.toml";
  // Tests stop servers often: no drain window unless a test asks for one.
  const bool drain_given = server_extra.find("drain_window_ms") != std::string::npos;
  std::ofstream(config) << "[server]\nthreads = 2\n" << (drain_given ? "" : "drain_window_ms = 0\n")
                        << (server_extra.empty() ? "manual_clock_allowed = true\n" : server_extra) << "\n" << test_auth_toml() << "\n"
                        << shops_toml;
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");  // not inherited by other children
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_s = wrapper;
  for (std::string a : {binary_path(), std::string("serve"), std::string("--config"), config}) argv_s.push_back(a);
  // A test may name its port (to restart a server where its clients will come back to).
  if (std::find(args.begin(), args.end(), "--listen") == args.end())
    for (std::string a : {std::string("--listen"), std::string("127.0.0.1:0")}) argv_s.push_back(a);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("cannot start " + argv_s[0]);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out_pipe[0]);  // the server prints one line; later writes to a closed pipe are ignored
  // "switchboard listening on HOST:PORT (...": a test may listen on any loopback address.
  const auto at = line.find("listening on ");
  const auto colon = at == std::string::npos ? std::string::npos : line.find(':', at);
  if (colon == std::string::npos) {
    stop(std::chrono::milliseconds(2000));
    throw std::runtime_error("server did not start: " + line + " " + stderr_text());
  }
  host_ = line.substr(at + 13, colon - at - 13);
  port_ = static_cast<unsigned short>(std::atoi(line.c_str() + colon + 1));
  if (const auto admin = line.find("admin on 127.0.0.1:"); admin != std::string::npos)
    admin_port_ = static_cast<unsigned short>(std::atoi(line.c_str() + admin + 19));
}

ServerProcess::~ServerProcess() {
  stop(std::chrono::milliseconds(5000));
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0) { /* best effort */ }
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(dir_ + "/stderr.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

int ServerProcess::stop(std::chrono::milliseconds wait) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

void ServerProcess::terminate() {
  if (pid_ > 0) kill(pid_, SIGTERM);
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

double ServerProcess::metric(const std::string& name) const {
  const std::string text = scrape();
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

const net::KeyRing& test_keys() {
  static const net::KeyRing keys{"switchboard", 60, {net::TokenKey{"test", net::KeyAlgorithm::hs256, test_secret, "", "switchboard"}}};
  return keys;
}

std::string test_auth_toml() { return std::string("[auth]\n[[auth.keys]]\nkid = \"test\"\nsecret = \"") + test_secret + "\"\n"; }

std::string ServerProcess::token(const std::string& shop, const std::string& person, const std::string& role, long ttl_s) const {
  return net::mint_token(test_keys(), shop, person, role, ttl_s);
}

std::string ServerProcess::customer_token(const std::string& shop, const std::string& member, v1::Tier tier) const {
  return net::mint_token(test_keys(), shop, member, "customer", 3600, tier);
}

std::string customer_hello(const std::string& shop, const std::string& member, const std::string& request_id, v1::Tier tier) {
  return R"({"requestId":")" + request_id + R"(","hello":{"role":"ROLE_CUSTOMER","shopId":")" + shop + R"(","token":")" +
         net::mint_token(test_keys(), shop, member, "customer", 3600, tier) + R"("}})";
}

std::string ServerProcess::scrape() const { return get("/metrics", token("*", "prometheus", "metrics")).body; }

net::HttpResult ServerProcess::get(const std::string& target, const std::string& bearer) const {
  return net::http_call(host_, port_, "GET", target, {}, bearer);
}

net::HttpResult ServerProcess::post(const std::string& target, const std::string& body, const std::string& bearer) const {
  return net::http_call(host_, port_, "POST", target, body, bearer);
}

net::HttpResult ServerProcess::advance_ms(long ms) const {
  return post("/api/v1/admin/clock", "{\"advanceMs\": " + std::to_string(ms) + "}", token("*", "test", "admin"));
}

net::HttpResult ServerProcess::advance_to(const std::string& t) const {
  return post("/api/v1/admin/clock", "{\"advanceTo\": \"" + t + "\"}", token("*", "test", "admin"));
}

JsonClient::JsonClient(unsigned short port) : JsonClient("127.0.0.1", port, "/ws") {}

JsonClient::JsonClient(const std::string& host, unsigned short port, const std::string& target) {
  const std::string err = ws_.connect(host, port, target);
  if (!err.empty()) throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + target + ": " + err);
}

void JsonClient::send(const std::string& json) {
  if (!ws_.send_text(json)) throw std::runtime_error("send failed");
}

bool JsonClient::pull(std::chrono::milliseconds timeout) {
  auto frame = ws_.recv(timeout);
  if (!frame) return false;
  raw_frames.push_back(*frame);
  v1::ServerMessage m;
  std::string err;
  if (!ws_.last_was_text()) {
    // The server answers in the format the peer last used: a binary frame sent gets a binary reply.
    if (!m.ParseFromString(*frame)) throw std::runtime_error("server sent a binary frame that is not a ServerMessage");
  } else if (!net::from_json(*frame, m, err)) {
    throw std::runtime_error("server sent a frame that is not JSON ServerMessage: " + err);
  }
  backlog_.push_back(std::move(m));
  return true;
}

v1::ServerMessage JsonClient::take_first(const std::function<bool(const v1::ServerMessage&)>& match,
                                         std::chrono::milliseconds timeout, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
      if (match(*it)) {
        v1::ServerMessage m = std::move(*it);
        backlog_.erase(it);
        return m;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !pull(left)) throw std::runtime_error("waited in vain for " + what);
  }
}

v1::ServerMessage JsonClient::expect(v1::ServerMessage::BodyCase kind, std::chrono::milliseconds timeout) {
  return take_first([kind](const v1::ServerMessage& m) { return m.body_case() == kind; }, timeout,
                    "a message of kind " + std::to_string(kind));
}

v1::ServerMessage JsonClient::reply(const std::string& request_id, std::chrono::milliseconds timeout) {
  return take_first([&](const v1::ServerMessage& m) { return m.request_id() == request_id; }, timeout,
                    "the reply to request " + request_id);
}

bool JsonClient::quiet(v1::ServerMessage::BodyCase kind, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    for (const auto& m : backlog_)
      if (m.body_case() == kind) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    if (!pull(left)) return true;
  }
}

}  // namespace sb::test
