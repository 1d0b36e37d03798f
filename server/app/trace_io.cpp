#include "trace_io.hpp"

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>

#include "net/codec.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

constexpr const char* trace_format = "switchboard.trace.v1";

bool binary_path(const std::string& path) { return path.size() > 3 && path.substr(path.size() - 3) == ".pb"; }

// Sorts one record into the trace; returns an error for a misplaced or unknown one.
std::string place(v1::TraceRecord&& r, sim::Trace& trace, bool& have_header) {
  if (r.has_header()) {
    if (have_header) return "a second header";
    if (r.header().format() != trace_format)
      return "header.format is \"" + r.header().format() + "\", expected \"" + trace_format + "\"";
    trace.header = std::move(*r.mutable_header());
    have_header = true;
    return {};
  }
  if (!have_header) return "the first record must be the header";
  if (r.has_figures()) {
    trace.figures.push_back(std::move(*r.mutable_figures()));
    return {};
  }
  if (r.body_case() == v1::TraceRecord::BODY_NOT_SET) return "an empty record";
  trace.records.push_back(std::move(r));
  return {};
}

}  // namespace

std::string read_trace(const std::string& path, sim::Trace& trace) {
  trace = sim::Trace{};
  bool have_header = false;
  if (binary_path(path)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return path + ": cannot open";
    google::protobuf::io::IstreamInputStream zin(&in);
    for (std::size_t n = 1;; ++n) {
      v1::TraceRecord r;
      bool clean_eof = false;
      if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&r, &zin, &clean_eof)) {
        if (clean_eof) break;
        return path + ": record " + std::to_string(n) + ": not a TraceRecord";
      }
      if (auto e = place(std::move(r), trace, have_header); !e.empty()) return path + ": record " + std::to_string(n) + ": " + e;
    }
  } else {
    std::ifstream in(path);
    if (!in) return path + ": cannot open";
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      v1::TraceRecord r;
      std::string err;
      if (!net::from_json(line, r, err)) return path + ":" + std::to_string(n) + ": " + err;
      if (auto e = place(std::move(r), trace, have_header); !e.empty()) return path + ":" + std::to_string(n) + ": " + e;
    }
  }
  if (!have_header) return path + ": no header record: not a trace";
  return {};
}

std::string write_trace(const std::string& path, const sim::Trace& trace) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return path + ": cannot write";
  std::string problem;
  auto emit = [&](const v1::TraceRecord& r) {
    if (!problem.empty()) return;
    if (binary_path(path)) {
      if (!google::protobuf::util::SerializeDelimitedToOstream(r, &out)) problem = "cannot serialize a record";
      return;
    }
    std::string line;
    google::protobuf::util::JsonPrintOptions opts;  // compact: defaults left out
    if (auto st = google::protobuf::util::MessageToJsonString(r, &line, opts); !st.ok()) {
      problem = "cannot print a record as JSON: " + st.ToString();
      return;
    }
    out << line << '\n';
  };
  v1::TraceRecord h;
  *h.mutable_header() = trace.header;
  h.mutable_header()->set_format(trace_format);
  emit(h);
  for (const auto& r : trace.records) emit(r);
  for (const auto& f : trace.figures) {
    v1::TraceRecord r;
    *r.mutable_figures() = f;
    emit(r);
  }
  if (!problem.empty()) return path + ": " + problem;
  out.flush();
  if (!out) return path + ": write failed (disk full?)";
  return {};
}

}  // namespace sb::app
