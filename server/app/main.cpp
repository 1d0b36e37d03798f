// switchboard: the server and its tools. `switchboard --help` lists every subcommand.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/plan_command.hpp"
#include "net/build_info.hpp"

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("switchboard"));
  CLI::App app{"Switchboard: routes live customer-service chats for marketplace shops and measures them."};
  app.set_version_flag("--version", std::string("switchboard ") + sb::net::build_version + " (" + sb::net::build_revision + ")");
  app.require_subcommand(1);
  sb::app::Commands commands;
  sb::app::add_serve_command(app, commands);
  sb::app::add_admin_commands(app, commands);
  sb::app::add_move_shop_command(app, commands);
  sb::app::add_trace_commands(app, commands);
  sb::app::add_plan_commands(app, commands);
  sb::app::add_chat_command(app, commands);
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : commands)
    if (c.cli->parsed()) return c.run();
  return 0;
}
