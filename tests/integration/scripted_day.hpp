// The scripted 818 day (see scripted_day_test.cpp): drives a server on the manual clock that
// started at 2026-08-18T06:30:00+08:00 with the "day" shop, ending at 8-19 03:00.
#pragma once

#include <string>

#include "support/server_process.hpp"

namespace sb::test {

void run_scripted_day(ServerProcess& server);

// The figures API answer for a date, parsed.
switchboard::v1::ShopFigures shop_figures(ServerProcess& server, const std::string& date);

}  // namespace sb::test
