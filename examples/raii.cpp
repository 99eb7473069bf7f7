/* raii: the C++ guards of traceshim.hpp.
 *
 * A "report" span for the whole job; inside it a "write report" span around
 * a file write, work moved to std::threads (a hand-off with HandoffRun, and
 * a context attached with Scope or traceshim::with), and a failed parse
 * recorded as an error.
 *
 *   traceshim run -o raii.pftrace -- ./raii
 *   LD_PRELOAD=path/to/libtraceshim.so ./raii
 *
 * The output is the same with or without the tracer. */
#include <traceshim.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using traceshim::attr;

static long sum_of_squares(int from, int to)
{
	traceshim::Span span("sum of squares", {attr("from", from), attr("to", to)});
	long sum = 0;
	for (int i = from; i < to; i++)
		sum += static_cast<long>(i) * i;
	span.set("sum", sum).ok();
	return sum;
}

static int parse_count(const std::string &text)
{
	traceshim::Span span("parse count", {attr("text", text)});
	try {
		int n = std::stoi(text);
		span.ok();
		return n;
	} catch (const std::invalid_argument &e) {
		span.error("std::invalid_argument", e.what());
		return -1;
	}
}

int main()
{
	const char *tmp = std::getenv("TMPDIR");
	std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/raii-XXXXXX";
	std::vector<char> name(path.begin(), path.end());
	name.push_back('\0');
	int fd = mkstemp(name.data());
	if (fd < 0) {
		std::perror("mkstemp");
		return 1;
	}
	close(fd);
	path = name.data();

	traceshim::Span job("report", {attr("report.parts", 2), attr("report.final", true)});

	// Two halves on two threads. The first through a hand-off: an arrow in
	// the trace from here to where it runs.
	long parts[2] = {0, 0};
	ts_context_t queued = traceshim::handoff(job.context(), "start first half");
	std::thread first([queued, &parts] {
		traceshim::HandoffRun run(queued, "first half", {attr("half", 1)});
		parts[0] = sum_of_squares(0, 500);
	});
	// The second attaches the job's context for the duration of a lambda.
	std::thread second([&job, &parts] {
		parts[1] = traceshim::with(job, [] { return sum_of_squares(500, 1000); });
	});
	first.join();
	second.join();
	long total = parts[0] + parts[1];
	job.set("report.total", total);

	int good = parse_count("42");
	int bad = parse_count("forty-two");

	// The file is written on a thread of its own that attaches the job's
	// context with a Scope: its calls and spans in the block are the job's.
	bool written = false;
	std::thread writer([&] {
		traceshim::Scope scope(job);
		std::string text = "total " + std::to_string(total) + "\ncount " +
				   std::to_string(good) + " " + std::to_string(bad) + "\n";
		traceshim::Span span("write report", {attr("path", path), attr("bytes", text.size())});
		std::ofstream out(path);
		out << text;
		out.close();
		written = static_cast<bool>(out);
		if (!written)
			span.error("io", "cannot write " + path);
	});
	writer.join();
	if (!written) {
		std::cerr << "raii: cannot write " << path << "\n";
		return 1;
	}

	std::ifstream in(path);
	std::string line;
	while (std::getline(in, line))
		std::cout << "report: " << line << "\n";
	std::remove(path.c_str());
	std::cout << "halves " << parts[0] << " + " << parts[1] << " = " << total << "\n";
	job.event("printed", {attr("lines", 2)}).ok();
	return 0;
}
