#include "config.hpp"
#include "time_zones.hpp"

#include <boost/asio/ip/address.hpp>
#include <libpq-fe.h>
#include <sys/resource.h>
#include <toml++/toml.h>

#include <algorithm>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace sb::app {

namespace {

constexpr std::int64_t window_sessions_max = 50;
constexpr std::int64_t threads_max = 64;

class Reader {
 public:
  Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ConfigError(source_ + ": " + key + ": " + what);
  }

  void only_keys(const toml::table& t, const std::string& where, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : t) {
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k.str();
      if (!ok) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(join(where, std::string(k.str())), "unknown key (known here: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& where, const std::string& key) { return where.empty() ? key : where + "." + key; }

  std::string str(const toml::table& t, const std::string& where, const char* key, std::string fallback, bool required = false) const {
    const auto* node = t.get(key);
    if (node == nullptr) {
      if (required) fail(join(where, key), "is required");
      return fallback;
    }
    if (!node->is_string()) fail(join(where, key), "must be a string");
    return node->as_string()->get();
  }

  std::int64_t integer(const toml::table& t, const std::string& where, const char* key, std::int64_t fallback,
                       std::int64_t min, std::int64_t max) const {
    const auto* node = t.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_integer()) fail(join(where, key), "must be an integer");
    const auto v = node->as_integer()->get();
    if (v < min || v > max)
      fail(join(where, key), "must be " + std::to_string(min) + " to " + std::to_string(max) + ", got " + std::to_string(v));
    return v;
  }

  double number(const toml::table& t, const std::string& where, const char* key, double fallback, double min, double max) const {
    const auto* node = t.get(key);
    if (node == nullptr) return fallback;
    double v;
    if (node->is_floating_point()) v = node->as_floating_point()->get();
    else if (node->is_integer()) v = static_cast<double>(node->as_integer()->get());
    else fail(join(where, key), "must be a number");
    if (!(v >= min && v <= max)) fail(join(where, key), "must be " + std::to_string(min) + " to " + std::to_string(max));
    return v;
  }

  bool boolean(const toml::table& t, const std::string& where, const char* key, bool fallback) const {
    const auto* node = t.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) fail(join(where, key), "must be true or false");
    return node->as_boolean()->get();
  }

  std::vector<std::string> strings(const toml::table& t, const std::string& where, const char* key) const {
    std::vector<std::string> out;
    const auto* node = t.get(key);
    if (node == nullptr) return out;
    const auto* arr = node->as_array();
    if (arr == nullptr) fail(join(where, key), "must be an array of strings");
    for (const auto& item : *arr) {
      if (!item.is_string()) fail(join(where, key), "must be an array of strings");
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  const toml::table* table(const toml::table& t, const std::string& where, const char* key) const {
    const auto* node = t.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(join(where, key), "must be a table");
    return node->as_table();
  }

  std::vector<const toml::table*> tables(const toml::table& t, const std::string& where, const char* key) const {
    std::vector<const toml::table*> out;
    const auto* node = t.get(key);
    if (node == nullptr) return out;
    const auto* arr = node->as_array();
    if (arr == nullptr) fail(join(where, key), "must be an array of tables ([[" + join(where, key) + "]])");
    for (const auto& item : *arr) {
      if (!item.is_table()) fail(join(where, key), "must be an array of tables");
      out.push_back(item.as_table());
    }
    return out;
  }

 private:
  std::string source_;
};

std::vector<core::HoursSpan> spans(const Reader& r, const std::vector<std::string>& texts, const std::string& where) {
  std::vector<core::HoursSpan> out;
  for (const auto& text : texts) {
    std::string err;
    auto span = core::parse_hours_span(text, err);
    if (!span) r.fail(where, err);
    out.push_back(*span);
  }
  // Overlapping spans would count a minute twice in "hours today" and hide a typo.
  auto sorted = out;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.open_minute < b.open_minute; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i].open_minute < sorted[i - 1].close_minute)
      r.fail(where, "spans \"" + core::format_clock_time(sorted[i - 1].open_minute) + "-" +
                        core::format_clock_time(sorted[i - 1].close_minute % 1440) + "\" and \"" +
                        core::format_clock_time(sorted[i].open_minute) + "-" +
                        core::format_clock_time(sorted[i].close_minute % 1440) + "\" overlap");
  return out;
}

void read_hours(const Reader& r, const toml::table& t, const std::string& where, core::ServiceHours& hours) {
  static constexpr const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  r.only_keys(t, where, {"every_day", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "dates"});
  if (t.get("every_day") != nullptr) {
    const auto all = spans(r, r.strings(t, where, "every_day"), Reader::join(where, "every_day"));
    for (int d = 0; d < 7; ++d) hours.set_weekday(d, all);
  }
  for (int d = 0; d < 7; ++d)
    if (t.get(days[d]) != nullptr)
      hours.set_weekday(d, spans(r, r.strings(t, where, days[d]), Reader::join(where, days[d])));
  if (const auto* dates = r.table(t, where, "dates")) {
    const std::string dw = Reader::join(where, "dates");
    for (const auto& [k, v] : *dates) {
      const auto day = core::parse_date(k.str());
      if (!day) r.fail(Reader::join(dw, std::string(k.str())), "is not a date (YYYY-MM-DD)");
      hours.set_date(*day, spans(r, r.strings(*dates, dw, std::string(k.str()).c_str()), Reader::join(dw, std::string(k.str()))));
    }
  }
}

net::TokenKey read_key(const Reader& r, const toml::table& t, const std::string& where, const std::string& shop,
                      const std::string& issuer) {
  r.only_keys(t, where, {"kid", "secret", "secret_env", "algorithm", "public_key_file"});
  net::TokenKey k;
  k.kid = r.str(t, where, "kid", "", true);
  if (k.kid.empty() || k.kid.size() > 64 || k.kid.find_first_of(" \t\r\n\"") != std::string::npos)
    r.fail(Reader::join(where, "kid"), "must be 1 to 64 characters without spaces or quotes");
  k.shop = shop;
  k.issuer = issuer;
  const std::string alg = r.str(t, where, "algorithm", "HS256");
  if (alg == "HS256") k.algorithm = net::KeyAlgorithm::hs256;
  else if (alg == "RS256") k.algorithm = net::KeyAlgorithm::rs256;
  else if (alg == "ES256") k.algorithm = net::KeyAlgorithm::es256;
  else r.fail(Reader::join(where, "algorithm"), "must be HS256, RS256 or ES256, got \"" + alg + "\"");
  if (k.algorithm != net::KeyAlgorithm::hs256) {
    const std::string file = r.str(t, where, "public_key_file", "", true);
    std::ifstream in(file);
    std::ostringstream pem;
    pem << in.rdbuf();
    k.material = pem.str();
    if (!in || k.material.find("-----BEGIN PUBLIC KEY-----") == std::string::npos)
      r.fail(Reader::join(where, "public_key_file"), "\"" + file + "\" is not a readable PEM public key");
    return k;
  }
  k.material = r.str(t, where, "secret", "");
  const std::string env = r.str(t, where, "secret_env", "");
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr || *v == '\0') r.fail(Reader::join(where, "secret_env"), "environment variable " + env + " is not set");
    k.material = v;
  }
  if (k.material.size() < 32) r.fail(Reader::join(where, "secret"), "must be at least 32 bytes (HS256 needs a 256-bit key)");
  return k;
}

void read_auth(const Reader& r, const toml::table& root, net::ServerOptions& s) {
  const auto* auth = r.table(root, "", "auth");
  if (auth == nullptr) r.fail("auth", "is required: [auth] with at least one [[auth.keys]]");
  r.only_keys(*auth, "auth", {"issuer", "audience", "clock_skew_s", "resume_token_ttl_s", "keys"});
  s.resume_token_ttl_s = r.integer(*auth, "auth", "resume_token_ttl_s", 86'400, 60, 7 * 86'400);
  s.keys.audience = r.str(*auth, "auth", "audience", "switchboard");
  s.keys.clock_skew_s = r.integer(*auth, "auth", "clock_skew_s", 60, 0, 600);
  const std::string issuer = r.str(*auth, "auth", "issuer", "switchboard");
  const auto keys = r.tables(*auth, "auth", "keys");
  for (std::size_t i = 0; i < keys.size(); ++i)
    s.keys.keys.push_back(read_key(r, *keys[i], "auth.keys[" + std::to_string(i) + "]", "", issuer));
  if (s.keys.signing_key() == nullptr)
    r.fail("auth.keys", "needs at least one HS256 key with a secret: the server signs resume tokens with the first");
}

template <class E>
E choice(const Reader& r, const toml::table& t, const std::string& where, const char* key, const char* fallback,
         std::initializer_list<std::pair<const char*, E>> options) {
  const std::string v = r.str(t, where, key, fallback);
  std::string names;
  for (const auto& [name, value] : options) {
    if (v == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  r.fail(Reader::join(where, key), "must be one of " + names + ", got \"" + v + "\"");
}

void read_thresholds(const Reader& r, const toml::table& th, const std::string& w, core::Thresholds& x) {
  r.only_keys(th, w, {"first_response_warning_s", "first_response_threshold_s", "check_back_s", "long_session_s", "rating_window_s",
                      "first_receiver_lookback_h", "first_receiver_wait_s", "attribution_window_h", "reconnect_grace_s"});
  x.first_response_threshold_ms = 1000 * r.integer(th, w, "first_response_threshold_s", 45, 1, 3600);
  x.first_response_warning_ms = 1000 * r.integer(th, w, "first_response_warning_s", 30, 1, 3600);
  if (x.first_response_warning_ms >= x.first_response_threshold_ms)
    r.fail(Reader::join(w, "first_response_warning_s"), "must be below first_response_threshold_s");
  x.check_back_ms = 1000 * r.integer(th, w, "check_back_s", 180, 1, 86400);
  x.long_session_ms = 1000 * r.integer(th, w, "long_session_s", 1200, 1, 86400);
  x.rating_window_ms = 1000 * r.integer(th, w, "rating_window_s", 1800, 0, 7 * 86400);
  x.first_receiver_lookback_ms = core::ms_per_hour * r.integer(th, w, "first_receiver_lookback_h", 72, 0, 24 * 90);
  x.first_receiver_wait_ms = 1000 * r.integer(th, w, "first_receiver_wait_s", 20, 0, 3600);
  x.attribution_window_ms = core::ms_per_hour * r.integer(th, w, "attribution_window_h", 24, 1, 24 * 30);
  x.reconnect_grace_ms = 1000 * r.integer(th, w, "reconnect_grace_s", 60, 0, 3600);
}

void read_limits(const Reader& r, const toml::table& lim, const std::string& w, core::Limits& l) {
  r.only_keys(lim, w, {"queue_requests_max", "transcript_messages_max", "text_bytes_max", "left_messages_kept_max"});
  auto u32 = [&](const char* key, std::uint32_t fallback, std::int64_t max) {
    return static_cast<std::uint32_t>(r.integer(lim, w, key, fallback, 1, max));
  };
  l.queue_requests_max = u32("queue_requests_max", l.queue_requests_max, 1'000'000);
  l.transcript_messages_max = u32("transcript_messages_max", l.transcript_messages_max, 100'000);
  l.text_bytes_max = u32("text_bytes_max", l.text_bytes_max, 60'000);
  l.left_messages_kept_max = u32("left_messages_kept_max", l.left_messages_kept_max, 10'000'000);
}

std::set<std::string> read_skills(const Reader& r, const toml::table& t, const std::string& where, core::ShopConfig& c) {
  const auto skills = r.tables(t, where, "skills");
  if (skills.empty()) r.fail(Reader::join(where, "skills"), "a shop needs at least one [[shops.skills]]");
  std::set<std::string> names;
  for (std::size_t i = 0; i < skills.size(); ++i) {
    const std::string w = Reader::join(where, "skills[" + std::to_string(i) + "]");
    r.only_keys(*skills[i], w, {"name", "overflow_skill", "overflow_after_s"});
    core::SkillConfig s;
    s.name = r.str(*skills[i], w, "name", "", true);
    if (!names.insert(s.name).second) r.fail(Reader::join(w, "name"), "skill \"" + s.name + "\" is defined twice");
    s.overflow_skill = r.str(*skills[i], w, "overflow_skill", "");
    s.overflow_after_ms = 1000 * r.integer(*skills[i], w, "overflow_after_s", 60, 0, 86400);
    c.skills.push_back(s);
  }
  for (std::size_t i = 0; i < c.skills.size(); ++i) {
    const auto& o = c.skills[i].overflow_skill;
    if (!o.empty() && (names.count(o) == 0 || o == c.skills[i].name))
      r.fail(Reader::join(where, "skills[" + std::to_string(i) + "].overflow_skill"), "\"" + o + "\" is not another skill of this shop");
  }
  c.default_skill = r.str(t, where, "default_skill", c.skills.front().name);
  if (names.count(c.default_skill) == 0)
    r.fail(Reader::join(where, "default_skill"), "\"" + c.default_skill + "\" is not a skill of this shop");
  return names;
}

void read_agents(const Reader& r, const toml::table& t, const std::string& where, const std::set<std::string>& skills,
                 core::ShopConfig& c) {
  std::set<std::string> agent_ids;
  const auto agents = r.tables(t, where, "agents");
  for (std::size_t i = 0; i < agents.size(); ++i) {
    const std::string w = Reader::join(where, "agents[" + std::to_string(i) + "]");
    r.only_keys(*agents[i], w, {"id", "skills", "window", "daily_cap", "shifts"});
    core::AgentConfig a;
    a.id = r.str(*agents[i], w, "id", "", true);
    if (a.id.empty() || !agent_ids.insert(a.id).second) r.fail(Reader::join(w, "id"), "must be a unique, non-empty agent id");
    a.skills = r.strings(*agents[i], w, "skills");
    if (a.skills.empty()) r.fail(Reader::join(w, "skills"), "an agent needs at least one skill");
    for (const auto& s : a.skills)
      if (skills.count(s) == 0) r.fail(Reader::join(w, "skills"), "\"" + s + "\" is not a skill of this shop");
    a.window = static_cast<std::uint32_t>(r.integer(*agents[i], w, "window", 3, 1, window_sessions_max));
    a.daily_cap = static_cast<std::uint32_t>(r.integer(*agents[i], w, "daily_cap", 200, 1, 100'000));
    for (const auto& text : r.strings(*agents[i], w, "shifts")) {
      std::string err;
      auto shift = core::parse_agent_shift(text, err);
      if (!shift) r.fail(Reader::join(w, "shifts"), "\"" + text + "\": " + err);
      a.shifts.push_back(*shift);
    }
    c.agents.push_back(a);
  }
}

void read_targets(const Reader& r, const toml::table& t, const std::string& where, const std::set<std::string>& skills,
                  core::ShopConfig& c) {
  const auto targets = r.tables(t, where, "targets");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string w = Reader::join(where, "targets[" + std::to_string(i) + "]");
    r.only_keys(*targets[i], w, {"category", "last_peak_rate"});
    core::CategoryTarget ct;
    ct.category = r.str(*targets[i], w, "category", "", true);
    if (skills.count(ct.category) == 0)
      r.fail(Reader::join(w, "category"), "\"" + ct.category + "\" is not a skill of this shop (categories are skills)");
    ct.last_peak_rate = r.number(*targets[i], w, "last_peak_rate", 0, 0, 1);
    c.targets.push_back(ct);
  }
}

// [shops.figure_targets]: at-least targets for the shop's rates, 0 to 1.
void read_figure_targets(const Reader& r, const toml::table& t, const std::string& where, core::ShopConfig& c) {
  static const std::vector<std::string> names{"connection_rate", "response_45s_rate", "message_reply_rate",
                                              "rating_rate",     "satisfaction",      "inquiry_conversion_rate"};
  r.only_keys(t, where, {"connection_rate", "response_45s_rate", "message_reply_rate", "rating_rate", "satisfaction",
                         "inquiry_conversion_rate"});
  for (const auto& name : names) {
    if (!t.contains(name)) continue;
    const double v = r.number(t, where, name.c_str(), 0, 0, 1);
    auto it = std::find_if(c.figure_targets.begin(), c.figure_targets.end(), [&](const auto& x) { return x.name == name; });
    if (it == c.figure_targets.end()) c.figure_targets.push_back({name, v});
    else it->at_least = v;
  }
}

core::ShopConfig read_shop(const Reader& r, const toml::table& t, const std::string& where, std::vector<net::TokenKey>& keys) {
  r.only_keys(t, where, {"id", "time_zone", "default_skill", "strategy", "handback", "greeting", "guests", "token_issuer",
                         "keys", "thresholds", "hours", "skills", "agents", "targets", "figure_targets", "limits",
                         "allowed_origins"});
  core::ShopConfig c;
  c.id = r.str(t, where, "id", "", true);
  if (c.id.empty() || c.id.size() > 64 || c.id.find_first_of(" /?#\x1f") != std::string::npos)
    r.fail(Reader::join(where, "id"), "must be 1 to 64 characters without spaces, '/', '?' or '#'");
  const std::string tz = r.str(t, where, "time_zone", "+08:00");
  auto zone = resolve_time_zone(tz);
  if (!zone) r.fail(Reader::join(where, "time_zone"), zone.error().message);
  c.hours.set_zone(std::move(*zone));
  c.strategy = choice<core::Strategy>(r, t, where, "strategy", "longest_idle",
                                      {{"longest_idle", core::Strategy::longest_idle},
                                       {"fewest_active", core::Strategy::fewest_active},
                                       {"round_robin", core::Strategy::round_robin}});
  c.handback = choice<core::Handback>(r, t, where, "handback", "queue_front",
                                      {{"queue_front", core::Handback::queue_front},
                                       {"first_receiver_wait", core::Handback::first_receiver_wait}});
  c.greeting = r.str(t, where, "greeting", c.greeting);
  c.guests = r.boolean(t, where, "guests", false);
  c.allowed_origins = r.strings(t, where, "allowed_origins");
  for (const auto& o : c.allowed_origins)
    if ((o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0) || o.find('/', o.find("//") + 2) != std::string::npos)
      r.fail(Reader::join(where, "allowed_origins"), "\"" + o + "\" is not an origin like \"https://shop.example\" (scheme, host, port; no path)");
  const std::string token_issuer = r.str(t, where, "token_issuer", c.id);
  const auto key_tables = r.tables(t, where, "keys");
  for (std::size_t i = 0; i < key_tables.size(); ++i)
    keys.push_back(read_key(r, *key_tables[i], Reader::join(where, "keys[" + std::to_string(i) + "]"), c.id, token_issuer));
  if (const auto* th = r.table(t, where, "thresholds")) read_thresholds(r, *th, Reader::join(where, "thresholds"), c.thresholds);
  if (const auto* lim = r.table(t, where, "limits")) read_limits(r, *lim, Reader::join(where, "limits"), c.limits);
  if (const auto* h = r.table(t, where, "hours")) read_hours(r, *h, Reader::join(where, "hours"), c.hours);
  const auto skills = read_skills(r, t, where, c);
  read_agents(r, t, where, skills, c);
  read_targets(r, t, where, skills, c);
  if (const auto* ft = r.table(t, where, "figure_targets")) read_figure_targets(r, *ft, Reader::join(where, "figure_targets"), c);
  return c;
}

void read_server(const Reader& r, const toml::table& t, const std::string& source, net::ServerOptions& s) {
  r.only_keys(t, "server", {"listen", "threads", "manual_clock_allowed", "send_queue_messages_max", "frame_bytes_max",
                            "http_body_bytes_max", "connections_max", "handshake_timeout_ms", "idle_timeout_ms", "drain_timeout_ms",
                            "drain_window_ms", "connections_per_address_max", "messages_per_second_max", "throttle_strikes_max",
                            "allowed_origins", "metrics_token_required", "admin_listen", "trusted_proxies", "web_dir",
                            "demo_sign_in"});
  const std::string listen = r.str(t, "server", "listen", "127.0.0.1:8080");
  try {
    parse_listen(listen, source + ": server.listen", s.host, s.port);
  } catch (const ConfigError&) {
    r.fail("server.listen", "must be HOST:PORT, got \"" + listen + "\"");
  }
  const std::string admin = r.str(t, "server", "admin_listen", "");
  if (!admin.empty()) {
    try {
      parse_listen(admin, source + ": server.admin_listen", s.admin_host, s.admin_port);
      s.admin_listener = true;
    } catch (const ConfigError&) {
      r.fail("server.admin_listen", "must be HOST:PORT, got \"" + admin + "\"");
    }
  }
  if (s.admin_listener && s.admin_host == s.host && s.admin_port == s.port && s.port != 0)
    r.fail("server.admin_listen", "is the same address as server.listen (" + listen + "); give the admin listener its own");
  auto size = [&](const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    return static_cast<std::size_t>(r.integer(t, "server", key, fallback, min, max));
  };
  auto ms = [&](const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    return std::chrono::milliseconds(r.integer(t, "server", key, fallback, min, max));
  };
  s.threads = size("threads", 2, 1, threads_max);
  s.manual_clock_allowed = r.boolean(t, "server", "manual_clock_allowed", false);
  s.demo_sign_in = r.boolean(t, "server", "demo_sign_in", false);
  s.send_queue_messages_max = size("send_queue_messages_max", 1024, 1, 1'000'000);
  s.frame_bytes_max = size("frame_bytes_max", 64 * 1024, 256, 16 << 20);
  s.http_body_bytes_max = size("http_body_bytes_max", 64 * 1024, 256, 16 << 20);
  s.connections_max = size("connections_max", 18'000, 1, 1'000'000);
  s.handshake_timeout = ms("handshake_timeout_ms", 10'000, 100, 600'000);
  s.idle_timeout = ms("idle_timeout_ms", 60'000, 1'000, 86'400'000);
  s.drain_timeout = ms("drain_timeout_ms", 5'000, 0, 600'000);
  s.drain_window = ms("drain_window_ms", 5'000, 0, 600'000);
  s.connections_per_address_max = size("connections_per_address_max", 500, 1, 1'000'000);
  s.messages_per_second_max = r.number(t, "server", "messages_per_second_max", 20, 0.1, 100'000);
  s.throttle_strikes_max = size("throttle_strikes_max", 20, 1, 1'000'000);
  s.allowed_origins = r.strings(t, "server", "allowed_origins");
  s.web_dir = r.str(t, "server", "web_dir", "");
  s.trusted_proxies = r.strings(t, "server", "trusted_proxies");
  for (const auto& a : s.trusted_proxies) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(a, ec);
    if (ec) r.fail("server.trusted_proxies", "must list IP addresses, got \"" + a + "\"");
  }
  s.metrics_token_required = r.boolean(t, "server", "metrics_token_required", false);
}

// libpq's own parser: a URL serve could not use is refused here, not at the first connect.
void check_database_url(const Reader& r, const std::string& url, const char* key) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &err);
  if (parsed == nullptr) {
    const std::string why = err != nullptr ? err : "cannot be parsed";
    PQfreemem(err);
    r.fail(key, "is not a PostgreSQL connection URL or key=value string: " + why);
  }
  PQconninfoFree(parsed);
}

void read_store(const Reader& r, const toml::table& t, const std::string& source, AppConfig& cfg) {
  r.only_keys(t, "store", {"database_url", "database_url_env", "journal_dir", "node_id", "migrations_dir", "migrate_on_start",
                           "transcripts", "batch_interval_ms", "batch_events_max", "write_interval_ms", "journal_bytes_max", "segment_bytes_max",
                           "retention_days", "journal_free_bytes_min", "snapshot_calls", "snapshot_interval_ms",
                           "copy_journal"});
  store::StoreOptions so;
  so.database_url = r.str(t, "store", "database_url", "");
  const std::string url_env = r.str(t, "store", "database_url_env", "");
  if (!url_env.empty()) {
    const char* v = std::getenv(url_env.c_str());
    if (v == nullptr || *v == '\0') cfg.store_problem = source + ": store.database_url_env: environment variable " + url_env + " is not set";
    else so.database_url = v;
  } else if (so.database_url.empty()) {
    r.fail("store.database_url", "is required in [store] (or database_url_env)");
  }
  if (!so.database_url.empty()) check_database_url(r, so.database_url, url_env.empty() ? "store.database_url" : "store.database_url_env");
  auto u64 = [&](const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    return static_cast<std::uint64_t>(r.integer(t, "store", key, fallback, min, max));
  };
  so.journal_dir = r.str(t, "store", "journal_dir", so.journal_dir);
  so.journal_free_bytes_min = u64("journal_free_bytes_min", 64LL << 20, 0, 1LL << 50);
  so.node_id = r.str(t, "store", "node_id", so.node_id);
  cfg.node_id_given = t.contains("node_id");
  so.migrations_dir = r.str(t, "store", "migrations_dir", SB_MIGRATIONS_DIR);
  so.migrate_on_start = r.boolean(t, "store", "migrate_on_start", true);
  so.transcripts = r.boolean(t, "store", "transcripts", true);
  so.batch_interval = std::chrono::milliseconds(r.integer(t, "store", "batch_interval_ms", 0, 0, 10'000));
  so.batch_events_max = static_cast<std::size_t>(u64("batch_events_max", 5000, 1, 1'000'000));
  so.write_interval = std::chrono::milliseconds(r.integer(t, "store", "write_interval_ms", 100, 0, 60'000));
  so.journal_bytes_max = u64("journal_bytes_max", 4LL << 30, 1 << 20, 1LL << 50);
  so.segment_bytes_max = u64("segment_bytes_max", 64 << 20, 1 << 12, 1LL << 34);
  so.retention_days = static_cast<int>(r.integer(t, "store", "retention_days", 400, 1, 100'000));
  so.snapshot_calls = u64("snapshot_calls", 50'000, 1, 1LL << 40);
  so.snapshot_interval = std::chrono::milliseconds(r.integer(t, "store", "snapshot_interval_ms", 60'000, 100, 86'400'000));
  so.copy_journal = r.boolean(t, "store", "copy_journal", false);
  cfg.copy_journal_given = t.contains("copy_journal");
  cfg.store = so;
}

void read_cluster(const Reader& r, const toml::table& t, AppConfig& cfg) {
  r.only_keys(t, "cluster", {"node", "nodes"});
  Cluster c;
  c.node = r.str(t, "cluster", "node", "");
  const auto nodes = r.tables(t, "cluster", "nodes");
  if (nodes.empty()) r.fail("cluster.nodes", "at least one [[cluster.nodes]] is required in a [cluster]");
  std::set<std::string> shops_known;
  for (const auto& s : cfg.shops) shops_known.insert(s.id);
  std::map<std::string, std::string> owner;  // shop -> node
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string w = "cluster.nodes[" + std::to_string(i) + "]";
    r.only_keys(*nodes[i], w, {"id", "address", "shops"});
    ClusterNode n{r.str(*nodes[i], w, "id", "", true), r.str(*nodes[i], w, "address", "", true), r.strings(*nodes[i], w, "shops")};
    std::string host;
    unsigned short port = 0;
    try {
      parse_listen(n.address, Reader::join(w, "address"), host, port);
    } catch (const ConfigError&) {
      r.fail(Reader::join(w, "address"), "must be HOST:PORT of the node's public listener, got \"" + n.address + "\"");
    }
    if (c.find(n.id) != nullptr) r.fail(Reader::join(w, "id"), "node \"" + n.id + "\" is listed twice");
    for (const auto& shop : n.shops) {
      if (shops_known.count(shop) == 0) r.fail(Reader::join(w, "shops"), "shop \"" + shop + "\" is not among the [[shops]]");
      if (auto [it, fresh] = owner.emplace(shop, n.id); !fresh)
        r.fail(Reader::join(w, "shops"), "shop \"" + shop + "\" is assigned to node \"" + it->second + "\" too; a shop has one node");
    }
    c.nodes.push_back(std::move(n));
  }
  for (const auto& shop : shops_known)
    if (owner.count(shop) == 0) r.fail("cluster.nodes", "shop \"" + shop + "\" is assigned to no node");
  if (!c.node.empty() && c.find(c.node) == nullptr) r.fail("cluster.node", "node \"" + c.node + "\" is not among cluster.nodes");
  cfg.cluster = std::move(c);
}

}  // namespace

const ClusterNode* Cluster::find(const std::string& id) const {
  for (const auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

const ClusterNode* Cluster::owner(const std::string& shop) const {
  for (const auto& n : nodes)
    if (std::find(n.shops.begin(), n.shops.end(), shop) != n.shops.end()) return &n;
  return nullptr;
}

void assign_node(AppConfig& cfg, const std::string& node) {
  if (!cfg.cluster) {
    if (!node.empty()) throw ConfigError(cfg.path + ": --node " + node + " needs a [cluster] section assigning shops to nodes");
    return;
  }
  Cluster& c = *cfg.cluster;
  if (!node.empty()) c.node = node;
  if (c.node.empty()) throw ConfigError(cfg.path + ": cluster.node: name this node (or start with --node ID)");
  const ClusterNode* me = c.find(c.node);
  if (me == nullptr) throw ConfigError(cfg.path + ": --node: node \"" + c.node + "\" is not among cluster.nodes");
  std::vector<core::ShopConfig> mine;
  for (auto& shop : cfg.shops) {
    const ClusterNode* o = c.owner(shop.id);
    if (o == me) {
      mine.push_back(std::move(shop));
      continue;
    }
    cfg.server.shops_elsewhere[shop.id] = "node " + o->id + " (" + o->address + ")";
    cfg.other_shops.push_back(std::move(shop));
  }
  cfg.shops = std::move(mine);
  if (cfg.store && !cfg.node_id_given) cfg.store->node_id = c.node;
  // A node of a cluster may be lost for good: by default its shops can be rebuilt elsewhere.
  if (cfg.store && !cfg.copy_journal_given) cfg.store->copy_journal = true;
}

void parse_listen(const std::string& text, const std::string& what, std::string& host, unsigned short& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw ConfigError(what + ": must be HOST:PORT, got \"" + text + "\"");
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string p = text.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) throw ConfigError(what + ": port must be 0 to 65535, got \"" + p + "\"");
  port = static_cast<unsigned short>(v);
}

AppConfig parse_config(const std::string& text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw ConfigError(msg.str());
  }
  const Reader r(source_name);
  r.only_keys(root, "", {"server", "auth", "store", "shops", "cluster"});
  AppConfig cfg;
  cfg.path = source_name;
  auto& s = cfg.server;
  if (const auto* t = r.table(root, "", "server")) read_server(r, *t, source_name, s);
  read_auth(r, root, s);
  if (const auto* t = r.table(root, "", "store")) read_store(r, *t, source_name, cfg);
  const auto shops = r.tables(root, "", "shops");
  if (shops.empty()) r.fail("shops", "at least one [[shops]] is required");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < shops.size(); ++i) {
    auto shop = read_shop(r, *shops[i], "shops[" + std::to_string(i) + "]", s.keys.keys);
    if (!ids.insert(shop.id).second) r.fail("shops[" + std::to_string(i) + "].id", "shop \"" + shop.id + "\" is defined twice");
    cfg.shops.push_back(std::move(shop));
  }
  if (const auto* t = r.table(root, "", "cluster")) read_cluster(r, *t, cfg);
  std::set<std::string> kids;
  for (const auto& k : s.keys.keys)
    if (!kids.insert(k.kid).second)
      r.fail(k.shop.empty() ? "auth.keys" : "shops." + k.shop + ".keys", "key id \"" + k.kid + "\" is used twice; every kid must be unique");
  return cfg;
}

std::vector<std::string> check_runtime(AppConfig& cfg) {
  std::vector<std::string> warnings;
  if (cfg.server.demo_sign_in)
    warnings.push_back("server.demo_sign_in is on: anyone who reaches this server can sign in as any agent or supervisor "
                       "(/app/sign-in.html); for demos only");
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return warnings;
  // Kept back from connections: the listeners, the journal and its directory, the database,
  // the shards' wakeups, logs, and some slack for HTTP calls.
  constexpr std::size_t reserved = 64;
  const std::size_t fit = files.rlim_cur > reserved ? static_cast<std::size_t>(files.rlim_cur) - reserved : 1;
  if (cfg.server.connections_max > fit) {
    warnings.push_back("server.connections_max " + std::to_string(cfg.server.connections_max) +
                       " is above what the open-files limit (" + std::to_string(files.rlim_cur) +
                       ", ulimit -n) leaves for connections; capped at " + std::to_string(fit) +
                       " (raise LimitNOFILE / ulimit -n to allow more)");
    cfg.server.connections_max = fit;
  }
  return warnings;
}

std::string auth_toml(const std::string& kid, const std::string& secret) {
  return "[auth]\n[[auth.keys]]\nkid = \"" + kid + "\"\nsecret = \"" + secret + "\"\n";
}

AppConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace sb::app
