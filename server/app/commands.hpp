// The `switchboard` subcommands: each registers its options on the CLI and says what to run
// when it is the one given. main() only wires them together.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace sb::app {

struct Command {
  CLI::App* cli = nullptr;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

void add_serve_command(CLI::App& app, Commands& commands);    // serve_command.cpp
void add_admin_commands(CLI::App& app, Commands& commands);   // admin_commands.cpp: token, check-config, migrate, store
void add_trace_commands(CLI::App& app, Commands& commands);   // trace_commands.cpp: generate-trace, simulate, export-trace
void add_chat_command(CLI::App& app, Commands& commands);     // chat_client.cpp
void add_move_shop_command(CLI::App& app, Commands& commands); // move_shop_command.cpp

// A tool subcommand's config: nullopt after saying what is wrong with it on stderr.
std::optional<AppConfig> config_for(const char* command, const std::string& path);

}  // namespace sb::app
