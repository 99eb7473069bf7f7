/* traceshim.hpp: C++ (C++11 or later) guards over traceshim.h.
 *
 * Header only, like traceshim.h: with no tracer loaded every call does
 * nothing. Everything is in namespace traceshim:
 *
 *   traceshim::Span job("import", {traceshim::attr("file", path),
 *                                  traceshim::attr("rows", n)});
 *   ...                       // traced calls here are children of "import"
 *   job.set("skipped", k);    // more attributes
 *   job.error("ParseError", "line 12: bad date");   // or job.ok()
 *   // ends when `job` goes out of scope, with the status set so far
 *
 *   // Work for another thread: capture (or hand off) a context...
 *   ts_context_t ctx = traceshim::handoff(job.context(), "queue resize");
 *   std::thread t([ctx] {
 *       traceshim::HandoffRun run(ctx, "resize");   // a span on this thread
 *       ...
 *   });
 *   // ...or attach a context for a while: traceshim::Scope scope(ctx);
 *   // or traceshim::with(job, [&] { ... });
 *
 * Span and HandoffRun begin a span that is current on the constructing
 * thread; it must end on that same thread. Spans nest: ending one also ends
 * the spans begun inside it that are still open, so let them end in reverse
 * order, as scoped objects do. They are movable (to return one from a
 * function, or keep one as a member), but not to another thread. A span left
 * by an exception, with no status set, ends with status ERROR (the tracer
 * records the exception itself).
 *
 * Coroutines: do not keep a Span, HandoffRun or Scope alive across a
 * suspension point (co_await, co_yield) after which the coroutine may resume
 * on another thread: the guard would end or detach on the wrong thread. Start
 * the operation's span with ts_span_start() (it may end anywhere, with
 * ts_span_end()), keep its context in the coroutine frame, and on each resume
 * put the work under it with a Scope (or HandoffRun) that ends before the
 * next suspension.
 *
 * attr(key, value) makes an attribute from a const char *, std::string,
 * any integer (stored as int64_t), double or bool. The key and a string
 * value are not copied by attr(): they must live until the call that takes
 * the attribute returns (which copies them), as a temporary std::string
 * passed straight into that call does. */
#ifndef TRACESHIM_HPP
#define TRACESHIM_HPP

#include "traceshim.h"

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>

namespace traceshim {

typedef ts_attribute_t Attribute;
typedef ts_context_t Context;
typedef std::initializer_list<ts_attribute_t> Attributes;

/* Attributes. */
inline ts_attribute_t attr(const char *key, const char *value)
{
	return ts_str(key, value);
}

inline ts_attribute_t attr(const char *key, const std::string &value)
{
	return ts_str(key, value.c_str());
}

inline ts_attribute_t attr(const char *key, bool value)
{
	return ts_bool(key, value);
}

inline ts_attribute_t attr(const char *key, double value)
{
	return ts_double(key, value);
}

/* Every integer type (char, int, size_t, int64_t...), but not bool. */
template <typename T,
	  typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value,
				  int>::type = 0>
inline ts_attribute_t attr(const char *key, T value)
{
	return ts_int(key, static_cast<int64_t>(value));
}

/* True when a tracer is loaded and recording. */
inline bool enabled()
{
	return ts_enabled();
}

/* The context of this thread's current span. */
inline ts_context_t current_context()
{
	return ts_context_capture();
}

/* Marks where work is queued; returns the context to give the work. */
inline ts_context_t handoff(ts_context_t ctx, const char *name)
{
	return ts_handoff(ctx, name);
}

/* The same, from this thread's current span. */
inline ts_context_t handoff(const char *name)
{
	return ts_handoff(ts_context_capture(), name);
}

/* A span begun on this thread (ts_span_begin) and ended by the destructor
 * with the status set by ok()/error()/status(), UNSET by default. */
class Span {
public:
	explicit Span(const char *name, Attributes attrs = Attributes())
		: span_(ts_span_begin(name, attrs.begin(), attrs.size()))
	{
	}

	explicit Span(const std::string &name, Attributes attrs = Attributes())
		: span_(ts_span_begin(name.c_str(), attrs.begin(), attrs.size()))
	{
	}

	Span(const Span &) = delete;
	Span &operator=(const Span &) = delete;

	Span(Span &&other) noexcept
		: span_(other.span_), status_(other.status_), unwinding_(other.unwinding_)
	{
		other.span_ = 0;
	}

	Span &operator=(Span &&other) noexcept
	{
		if (this != &other) {
			end();
			span_ = other.span_;
			status_ = other.status_;
			unwinding_ = other.unwinding_;
			other.span_ = 0;
		}
		return *this;
	}

	~Span()
	{
		if (span_ && status_ == TS_STATUS_UNSET && unwinding())
			status_ = TS_STATUS_ERROR;
		end();
	}

	/* Adds (or replaces) attributes. */
	Span &set(Attributes attrs)
	{
		ts_span_set(span_, attrs.begin(), attrs.size());
		return *this;
	}

	template <typename V> Span &set(const char *key, const V &value)
	{
		const ts_attribute_t a = attr(key, value);
		ts_span_set(span_, &a, 1);
		return *this;
	}

	/* Something that happened, now. */
	Span &event(const char *name, Attributes attrs = Attributes())
	{
		ts_span_event(span_, name, attrs.begin(), attrs.size());
		return *this;
	}

	/* Records an error; the status becomes ERROR. */
	Span &error(const char *type, const char *message)
	{
		ts_span_error(span_, type, message);
		status_ = TS_STATUS_ERROR;
		return *this;
	}

	Span &error(const std::string &type, const std::string &message)
	{
		return error(type.c_str(), message.c_str());
	}

	Span &ok()
	{
		status_ = TS_STATUS_OK;
		return *this;
	}

	Span &status(ts_status_code_t status)
	{
		status_ = status;
		return *this;
	}

	/* Ends the span now (the destructor then does nothing). */
	void end()
	{
		if (span_) {
			ts_span_end(span_, status_);
			span_ = 0;
		}
	}

	/* The handle for the C calls (0 when not traced or ended). */
	ts_span_t handle() const
	{
		return span_;
	}

	/* The span's context, to carry to other threads. */
	ts_context_t context() const
	{
		return ts_span_context(span_);
	}

	explicit operator bool() const
	{
		return span_ != 0;
	}

protected:
	/* For guards that begin the span another way (HandoffRun). */
	struct adopt_t {
	};
	Span(adopt_t, ts_span_t span) : span_(span)
	{
	}

private:
	bool unwinding() const
	{
#if defined(__cpp_lib_uncaught_exceptions) && __cpp_lib_uncaught_exceptions >= 201411L
		return std::uncaught_exceptions() > unwinding_;
#else
		return std::uncaught_exception();
#endif
	}

	static int uncaught_now()
	{
#if defined(__cpp_lib_uncaught_exceptions) && __cpp_lib_uncaught_exceptions >= 201411L
		return std::uncaught_exceptions();
#else
		return 0;
#endif
	}

	ts_span_t span_;
	ts_status_code_t status_ = TS_STATUS_UNSET;
	int unwinding_ = uncaught_now();   /* exceptions in flight at the start */
};

/* Where handed-off work runs: ts_handoff_run() in the constructor (a span on
 * this thread, child of ctx's span, with the hand-off's arrow), ts_span_end()
 * in the destructor. Everything Span has: set, event, error, ok... */
class HandoffRun : public Span {
public:
	HandoffRun(ts_context_t ctx, const char *name, Attributes attrs = Attributes())
		: Span(adopt_t(), ts_handoff_run(ctx, name, attrs.begin(), attrs.size()))
	{
	}

	HandoffRun(ts_context_t ctx, const std::string &name, Attributes attrs = Attributes())
		: HandoffRun(ctx, name.c_str(), attrs)
	{
	}
};

/* Makes a context current on this thread for the guard's lifetime
 * (ts_context_attach / ts_context_detach). Scopes nest; end them in reverse
 * order, on the thread that made them. */
class Scope {
public:
	explicit Scope(ts_context_t ctx) : scope_(ts_context_attach(ctx))
	{
	}

	explicit Scope(const Span &span) : scope_(ts_context_attach(span.context()))
	{
	}

	Scope(const Scope &) = delete;
	Scope &operator=(const Scope &) = delete;

	~Scope()
	{
		ts_context_detach(scope_);
	}

private:
	ts_scope_t scope_;
};

/* Runs f() with a context (or a span) current; returns what f returns. */
template <typename F> auto with(ts_context_t ctx, F &&f) -> decltype(std::forward<F>(f)())
{
	Scope scope(ctx);
	return std::forward<F>(f)();
}

template <typename F> auto with(const Span &span, F &&f) -> decltype(std::forward<F>(f)())
{
	Scope scope(span.context());
	return std::forward<F>(f)();
}

} // namespace traceshim

#endif
