#include "workers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace sb::load {

namespace {

struct Worker {
  pid_t pid = -1;
  int out = -1;          // read end of its stdout
  std::string partial;   // a line not yet complete
  std::string summary;   // everything but progress lines, printed at the end
  // Last PROGRESS: records done, records, open customers, messages out, messages in, errors.
  std::array<unsigned long, 6> progress{};
  std::array<unsigned long, 6> totals{};  // TOTALS: arrivals, orders, in, out, skipped, errors
  int status = -1;
};

void take_line(Worker& w, const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  in >> tag;
  if (tag == "PROGRESS") {
    for (auto& v : w.progress) in >> v;
  } else if (tag == "TOTALS") {
    for (auto& v : w.totals) in >> v;
  } else {
    w.summary += line + '\n';
  }
}

// Starts worker `i`: this binary again with `--part i`, its stdout on a pipe.
bool start_worker(const ReplayOptions& o, int i, Worker& w) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("switchboard-load: pipe");
    return false;
  }
  std::vector<std::string> args = o.argv;
  args.push_back("--part");
  args.push_back(std::to_string(i));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  const int rc = posix_spawn(&w.pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    std::fprintf(stderr, "switchboard-load: cannot start worker %d: %s\n", i, std::strerror(rc));
    close(fds[0]);
    return false;
  }
  w.out = fds[0];
  return true;
}

// Reads what the workers printed, for up to 200 ms; false once every pipe has closed.
bool read_workers(std::vector<Worker>& workers) {
  std::vector<pollfd> fds;
  std::vector<Worker*> who;
  for (auto& w : workers)
    if (w.out >= 0) {
      fds.push_back({w.out, POLLIN, 0});
      who.push_back(&w);
    }
  if (fds.empty()) return false;
  poll(fds.data(), fds.size(), 200);
  for (std::size_t k = 0; k < fds.size(); ++k) {
    if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[4096];
    const ssize_t n = read(fds[k].fd, buf, sizeof buf);
    Worker& w = *who[k];
    if (n <= 0) {
      if (!w.partial.empty()) take_line(w, w.partial);
      close(w.out);
      w.out = -1;
      continue;
    }
    w.partial.append(buf, static_cast<std::size_t>(n));
    for (auto nl = w.partial.find('\n'); nl != std::string::npos; nl = w.partial.find('\n')) {
      take_line(w, w.partial.substr(0, nl));
      w.partial.erase(0, nl + 1);
    }
  }
  return true;
}

// The progress bar over all workers: share done, open customers, messages per second.
class ProgressBar {
 public:
  explicit ProgressBar(int processes) : processes_(processes), tty_(isatty(2) != 0) {}

  void draw(const std::vector<Worker>& workers, double secs) {
    double done = 0;
    unsigned long open = 0, out = 0, in = 0, errors = 0;
    for (const auto& w : workers) {
      done += w.progress[1] > 0 ? static_cast<double>(w.progress[0]) / static_cast<double>(w.progress[1]) : 0;
      open += w.progress[2];
      out += w.progress[3];
      in += w.progress[4];
      errors += w.progress[5];
    }
    done /= static_cast<double>(workers.size());
    if (tty_ || ++ticks_ % 10 == 0)
      std::fprintf(stderr, "%s[%-30s] %3.0f%%  %6.0fs  %d workers  customers %6lu open  %8lu msg/s out  %8lu msg/s in  errors %lu%s",
                   tty_ ? "\r" : "", std::string(static_cast<std::size_t>(done * 30), '#').c_str(), 100 * done, secs, processes_, open,
                   out - last_out_, in - last_in_, errors, tty_ ? " " : "\n");
    last_out_ = out;
    last_in_ = in;
  }

 private:
  int processes_;
  bool tty_;
  unsigned long last_out_ = 0, last_in_ = 0;
  int ticks_ = 0;
};

}  // namespace

int run_workers(const ReplayOptions& o) {
  using Steady = std::chrono::steady_clock;
  const auto started = Steady::now();
  std::vector<Worker> workers(static_cast<std::size_t>(o.processes));
  for (int i = 0; i < o.processes; ++i)
    if (!start_worker(o, i, workers[static_cast<std::size_t>(i)])) return 2;
  ProgressBar bar(o.processes);
  auto last_draw = Steady::now();
  while (read_workers(workers))
    if (o.progress && Steady::now() - last_draw >= std::chrono::seconds(1)) {
      last_draw = Steady::now();
      bar.draw(workers, std::chrono::duration<double>(Steady::now() - started).count());
    }
  int worst = 0;
  std::array<unsigned long, 6> sum{};
  for (auto& w : workers) {
    int status = 0;
    waitpid(w.pid, &status, 0);
    w.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    worst = std::max(worst, w.status);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += w.totals[i];
  }
  if (o.progress) std::fprintf(stderr, "\n");
  for (const auto& w : workers) std::fputs(w.summary.c_str(), stdout);
  const double secs = std::chrono::duration<double>(Steady::now() - started).count();
  std::printf("all %d workers in %.1f s: %lu arrivals, %lu orders, %lu messages in, %lu scripted steps sent, %lu skipped, %lu errors; "
              "exit %d\n",
              o.processes, secs, sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], worst);
  return worst;
}

}  // namespace sb::load
