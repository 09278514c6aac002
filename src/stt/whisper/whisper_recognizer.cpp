#include "stt/whisper/whisper_recognizer.hpp"

namespace lt::stt::whisper {

bool guard_drops(const whisper_options& wo, float no_speech_prob, double mean_logprob) {
    if (!wo.guards)
        return false;
    return (no_speech_prob > wo.no_speech_thold && mean_logprob < wo.logprob_thold) ||
           mean_logprob < wo.drop_logprob_thold;
}

} // namespace lt::stt::whisper

#ifdef LT_HAVE_WHISPER

#include "stt/endpointer.hpp"
#include "stt/whisper/keep_up.hpp"
#include "stt/whisper/words.hpp"

#include <whisper.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

namespace lt::stt::whisper {
namespace {

using steady = std::chrono::steady_clock;
constexpr std::uint64_t rate = endpointer::sample_rate;

double since(steady::time_point t) { return std::chrono::duration<double>(steady::now() - t).count(); }

std::string secs(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// The utterance audio waiting for its final decode.
struct final_job {
    std::uint64_t piece = 0;
    std::vector<std::int16_t> pcm;
    std::uint64_t first = 0; // stream sample of pcm[0] (the pre-roll)
    std::uint64_t onset = 0, end = 0;
    steady::time_point queued;
};

struct decoded {
    std::vector<word> words;
    double seconds = 0; // wall time it took
    bool aborted = false;
};

class whisper_engine final : public recognizer {
public:
    whisper_engine(const recognizer_options& ro, std::unique_ptr<model> m, whisper_options wo, int threads)
        : wo_(std::move(wo)), lang_(ro.lang), threads_(threads), model_(std::move(m)),
          model_file_(file_name(model_->path())), ep_(cut_limits(ro.endpoint, wo_.cut_after_s)),
          keep_(keep_up_settings{.partial_interval_s = wo_.partial_interval_s}) {
        interval_ = interval_samples();
        // whisper.cpp keeps the end of a long prompt (half its text context): the terms are
        // bounded so the previous sentence, which follows them, always fits.
        for (const auto& t : wo_.glossary_terms) {
            if (terms_.size() + t.size() > 300)
                break;
            terms_ += (terms_.empty() ? "Glossary: " : ", ") + t;
        }
        if (!terms_.empty())
            terms_ += ". ";
        worker_ = std::thread([this] { work(); });
    }

    ~whisper_engine() override {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }

    std::string name() const override {
        return "whisper.cpp (" + model_name() + ", " + std::to_string(threads_) + " thread" +
               (threads_ == 1 ? "" : "s") + ")";
    }
    bool needs_truecasing() const override { return false; }
    double audio_seconds() const override { return static_cast<double>(samples_.load()) / rate; }
    std::string status() const override {
        std::lock_guard lock(mu_);
        return keep_.describe(audio_seconds());
    }

    std::vector<result> feed(std::span<const std::int16_t> pcm) override {
        samples_ += pcm.size();
        ep_.push(pcm, events_);
        std::lock_guard lock(mu_);
        take_events();
        cv_.notify_all();
        return std::exchange(results_, {});
    }

    std::vector<result> finish() override {
        std::unique_lock lock(mu_);
        if (auto tail = ep_.tail(); in_piece_ && !tail.empty())
            pcm_.insert(pcm_.end(), tail.begin(), tail.end());
        ep_.finish(events_);
        take_events();
        partial_due_ = false;
        cv_.notify_all();
        cv_.wait(lock, [&] { return (finals_.empty() && !final_busy_) || stopping_; });
        return std::exchange(results_, {});
    }

private:
    // The endpointer's own hard cut is the backstop for speech the stable-word cut could not
    // split (finals only: no partial decodes, so no stable words); whisper sees 30 s at most.
    static endpointer_options cut_limits(endpointer_options e, double cut_after_s) {
        e.max_utterance_s = std::min(28.0, cut_after_s + 5.0);
        return e;
    }

    static std::string file_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

    std::string model_name() const {
        std::lock_guard lock(mu_);
        return model_file_;
    }

    std::uint64_t interval_samples() const {
        return static_cast<std::uint64_t>(keep_.partial_interval_s() * rate);
    }

    // ---- the caller's thread (mu_ held): utterance audio in, final jobs out ----

    void take_events() {
        for (auto& e : events_) {
            switch (e.type) {
            case endpointer::event::kind::begin:
                in_piece_ = true;
                piece_ = ++pieces_;
                pcm_.clear();
                onset_ = e.sample;
                next_partial_ = onset_ + interval_;
                break;
            case endpointer::event::kind::audio:
                if (!in_piece_)
                    break;
                if (pcm_.empty())
                    first_ = e.sample;
                pcm_.insert(pcm_.end(), e.pcm.begin(), e.pcm.end());
                fed_end_ = e.sample + e.pcm.size();
                if (interval_ > 0 && fed_end_ >= next_partial_) {
                    next_partial_ = fed_end_ + interval_;
                    partial_due_ = true;
                }
                break;
            case endpointer::event::kind::end:
                if (!in_piece_)
                    break;
                in_piece_ = false;
                partial_due_ = false;
                finals_.push_back(final_job{piece_, std::move(pcm_), first_, onset_,
                                            std::max<std::uint64_t>(e.sample, onset_), steady::now()});
                pcm_.clear();
                final_waiting_ = true; // a partial being decoded now is not worth finishing
                bound_backlog();
                break;
            }
        }
        events_.clear();
    }

    // Live: speech the machine cannot decode in time is dropped rather than delayed without
    // bound. The front job may be in decoding; the bound counts the ones behind it.
    void bound_backlog() {
        if (!wo_.live)
            return;
        auto waiting = [&] {
            double s = 0;
            for (std::size_t i = final_busy_ ? 1 : 0; i < finals_.size(); ++i)
                s += static_cast<double>(finals_[i].pcm.size()) / rate;
            return s;
        };
        double dropped = 0;
        while (finals_.size() > (final_busy_ ? 2u : 1u) && waiting() > wo_.max_backlog_s) {
            auto victim = finals_.begin() + (final_busy_ ? 1 : 0);
            dropped += static_cast<double>(victim->end - victim->onset) / rate;
            finals_.erase(victim);
        }
        if (dropped > 0)
            pending_events_.push_back(
                whisper_event{whisper_event::kind::warning,
                              "the machine cannot keep up with the speech: dropped " + secs(dropped) +
                                  " of it waiting to be recognised (more than " + secs(wo_.max_backlog_s) +
                                  " waited); try a smaller --model or more --threads",
                              dropped});
    }

    // ---- the decoding thread ----

    void emit(const whisper_event& e) {
        if (wo_.on_event)
            wo_.on_event(e);
        else if (e.type != whisper_event::kind::info || wo_.verbose)
            std::cerr << "lt-speech: whisper: " << e.message << std::endl;
    }

    void flush_events(std::unique_lock<std::mutex>& lock) {
        if (pending_events_.empty())
            return;
        auto events = std::exchange(pending_events_, {});
        lock.unlock();
        for (const auto& e : events)
            emit(e);
        lock.lock();
    }

    void work() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] {
                return stopping_ || !finals_.empty() || partial_due_ || !pending_events_.empty();
            });
            flush_events(lock);
            if (stopping_)
                return;
            if (!finals_.empty()) {
                final_busy_ = true;
                final_job job = finals_.front(); // stays queued (and counted) while decoded
                lock.unlock();
                run_final(job);
                lock.lock();
                finals_.pop_front();
                final_busy_ = false;
                if (finals_.empty())
                    final_waiting_ = false;
            } else if (partial_due_) {
                partial_due_ = false;
                lock.unlock();
                run_partial();
                lock.lock();
            } else {
                continue;
            }
            adjust(lock);
            cv_.notify_all();
        }
    }

    void run_final(final_job& job) {
        const double waited = since(job.queued);
        auto d = decode(job.pcm, !wo_.full_window_finals || keep_.short_final_context(), false);
        if (d.aborted)
            return;
        std::vector<word> words = agree_piece_ == job.piece ? agree_.complete(d.words) : d.words;
        drop_repeats(words);
        agree_.reset();
        agree_piece_ = 0;
        std::lock_guard lock(mu_);
        keep_.final_waited(audio_seconds(), waited);
        keep_.decoded(audio_seconds(), d.seconds);
        if (words.empty())
            return;
        prompt_ = join(words);
        results_.push_back(result{prompt_, true, job.piece, static_cast<double>(job.onset) / rate,
                                  static_cast<double>(job.end) / rate});
    }

    void run_partial() {
        std::vector<std::int16_t> pcm;
        std::uint64_t piece = 0, first = 0;
        {
            std::lock_guard lock(mu_);
            if (!in_piece_)
                return;
            pcm = pcm_;
            piece = piece_;
            first = first_;
        }
        if (agree_piece_ != piece) {
            agree_.reset();
            agree_piece_ = piece;
        }
        auto d = decode(pcm, true, true);
        if (d.aborted) {
            std::lock_guard lock(mu_);
            keep_.decoded(audio_seconds(), d.seconds); // busy all the same
            return;
        }
        drop_repeats(d.words);
        auto shown = agree_.update(d.words);
        std::lock_guard lock(mu_);
        keep_.decoded(audio_seconds(), d.seconds);
        if (!in_piece_ || piece_ != piece)
            return; // its final is queued: the partial is stale
        const double end_s = static_cast<double>(first + pcm.size()) / rate;
        if (!shown.empty())
            results_.push_back(result{join(shown), false, piece, static_cast<double>(onset_) / rate, end_s});
        if (static_cast<double>(pcm.size()) / rate >= wo_.cut_after_s && !agree_.stable().empty())
            cut_at_stable_word(pcm, first, shown);
    }

    // Long speech without a pause: the stable words become a final and the audio after the
    // last of them starts a new piece. The word's end time is the decoder's estimate, so the
    // cut goes at the quietest 10 ms between it and the next word's start (0.4 s at most).
    void cut_at_stable_word(const std::vector<std::int16_t>& pcm, std::uint64_t first,
                            const std::vector<word>& shown) {
        const auto& stable = agree_.stable();
        const double next = shown.size() > stable.size() ? shown[stable.size()].start_s : 1e9;
        const std::size_t cut = quiet_cut(pcm, stable.back().end_s, next);
        if (cut == 0 || cut >= pcm.size())
            return; // nothing would be left on one side: wait for the pause or the hard cut
        // Caller holds mu_ (run_partial's lock).
        const std::uint64_t cut_sample = first + cut;
        prompt_ = join(stable);
        results_.push_back(result{prompt_, true, piece_, static_cast<double>(onset_) / rate,
                                  static_cast<double>(cut_sample) / rate});
        pcm_.erase(pcm_.begin(), pcm_.begin() + static_cast<std::ptrdiff_t>(cut_sample - first_));
        first_ = cut_sample;
        onset_ = cut_sample;
        piece_ = ++pieces_;
        next_partial_ = fed_end_ + interval_;
        agree_.reset();
        agree_piece_ = piece_;
    }

    // mu_ held. The keep-up control's steps, taken between decodes.
    void adjust(std::unique_lock<std::mutex>& lock) {
        if (!wo_.live)
            return;
        const double now = audio_seconds();
        const double rtf = keep_.rtf(now); // check() starts a new window when it changes level
        switch (const auto a = keep_.check(now)) {
        case keep_up::action::none:
            return;
        case keep_up::action::less:
        case keep_up::action::more: {
            interval_ = interval_samples();
            char what[96];
            std::snprintf(what, sizeof what, "keep-up: RTF %.2f, %s: %s", rtf,
                          a == keep_up::action::less ? "falling behind" : "room to spare",
                          keep_.level_name());
            pending_events_.push_back(whisper_event{whisper_event::kind::info, what});
            break;
        }
        case keep_up::action::smaller_model: {
            lock.unlock();
            const std::string from = model_name();
            std::string path = wo_.smaller_model ? wo_.smaller_model() : std::string();
            std::unique_ptr<model> smaller;
            std::string why;
            if (!path.empty()) {
                auto loaded = load_model(path);
                if (loaded)
                    smaller = std::move(loaded.value());
                else
                    why = loaded.error_message();
            }
            const bool switched = smaller != nullptr;
            if (switched) {
                std::lock_guard m(model_mu_);
                model_ = std::move(smaller);
            }
            lock.lock();
            const std::string to = file_name(path);
            if (switched) {
                model_file_ = to;
                keep_.model_switched(audio_seconds());
                interval_ = interval_samples();
                pending_events_.push_back(whisper_event{whisper_event::kind::warning,
                                                        "this machine cannot keep up with " + from +
                                                            " even with finals only: switched to " + to});
            } else {
                pending_events_.push_back(whisper_event{
                    whisper_event::kind::warning,
                    "this machine cannot keep up with " + from + " even with finals only" +
                        (why.empty() ? " and no smaller model is in the cache" : " and " + why) +
                        "; speech waiting longer than " + secs(wo_.max_backlog_s) + " will be dropped"});
            }
            break;
        }
        }
    }

    // Runs whisper.cpp on one stretch of audio (decoding thread only).
    // A partial is abandoned as soon as a final is queued: the final is what the viewers wait for.
    decoded decode(const std::vector<std::int16_t>& pcm, bool short_context, bool partial) {
        const auto t0 = steady::now();
        const double audio_s = static_cast<double>(pcm.size()) / rate;
        // whisper.cpp refuses less than 100 ms and does poorly on under a second: pad with
        // silence to 1 s.
        std::vector<float> samples(std::max<std::size_t>(pcm.size(), rate), 0.0f);
        for (std::size_t i = 0; i < pcm.size(); ++i)
            samples[i] = static_cast<float>(pcm[i]) / 32768.0f;
        const double padded_s = static_cast<double>(samples.size()) / rate;

        auto p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
        p.n_threads = threads_;
        p.language = lang_.c_str();
        p.translate = false;
        p.no_context = true; // the prompt is ours: the previous sentence
        p.single_segment = true;
        p.no_timestamps = true;
        p.token_timestamps = true; // word end times for the stable-word cut
        p.print_progress = false;
        p.print_realtime = false;
        p.print_special = false;
        p.print_timestamps = false;
        // One decode per request: predictable cost matters more in streaming than the
        // fallback's rescue of a bad decode, which the guards drop instead.
        p.temperature_inc = 0.0f;
        // Speech is 2-4 tokens a second; the cap bounds both cost and runaway loops.
        p.max_tokens = 10 + static_cast<int>(7 * audio_s);
        // The encoder's cost follows its context, 50 per second of audio; a partial needs
        // only what it has heard.
        if (short_context)
            p.audio_ctx = std::min(1500, static_cast<int>(std::ceil(padded_s * 50)) + 32);
        const std::string prompt = terms_ + prompt_;
        p.initial_prompt = prompt.empty() ? nullptr : prompt.c_str();
        p.no_speech_thold = 2.0f; // never exceeded: guard_drops() applies the rule, on every segment
        p.abort_callback = partial ? [](void* self) {
            auto* e = static_cast<whisper_engine*>(self);
            return e->stopping_.load() || e->final_waiting_.load();
        }
                                   : [](void* self) { return static_cast<whisper_engine*>(self)->stopping_.load(); };
        p.abort_callback_user_data = this;

        decoded d;
        std::lock_guard m(model_mu_);
        whisper_context* ctx = model_->context();
        if (whisper_full(ctx, p, samples.data(), static_cast<int>(samples.size())) != 0) {
            d.aborted = stopping_.load() || (partial && final_waiting_.load());
            if (!d.aborted)
                pending_events_locked(whisper_event{whisper_event::kind::warning,
                                                    "whisper.cpp failed on " + secs(audio_s) + " of speech"});
            d.seconds = since(t0);
            return d;
        }
        const whisper_token eot = whisper_token_eot(ctx);
        for (int s = 0; s < whisper_full_n_segments(ctx); ++s) {
            std::vector<word> words;
            double logprob = 0;
            int n = 0;
            for (int t = 0; t < whisper_full_n_tokens(ctx, s); ++t) {
                const auto data = whisper_full_get_token_data(ctx, s, t);
                if (data.id >= eot)
                    continue; // special tokens: start, language, timestamps, end
                logprob += data.plog;
                ++n;
                std::string text = whisper_full_get_token_text(ctx, s, t);
                const double t0s = static_cast<double>(data.t0) / 100;
                const double t1s = static_cast<double>(data.t1) / 100;
                if (words.empty() || (!text.empty() && text.front() == ' ')) {
                    auto start = text.find_first_not_of(' ');
                    if (start == std::string::npos)
                        continue;
                    words.push_back(word{text.substr(start), t0s, t1s});
                } else {
                    words.back().text += text;
                    words.back().end_s = std::max(words.back().end_s, t1s);
                }
            }
            if (n > 0 && guard_drops(wo_, whisper_full_get_segment_no_speech_prob(ctx, s), logprob / n))
                continue;
            d.words.insert(d.words.end(), words.begin(), words.end());
        }
        if (!times_plausible(d.words, audio_s))
            spread_times(d.words, audio_s);
        if (wo_.extra_decode_s > 0)
            std::this_thread::sleep_for(std::chrono::duration<double>(wo_.extra_decode_s));
        d.seconds = since(t0);
        return d;
    }

    void pending_events_locked(whisper_event e) {
        std::lock_guard lock(mu_);
        pending_events_.push_back(std::move(e));
    }

    const whisper_options wo_;
    const std::string lang_;
    const int threads_;
    std::mutex model_mu_; // held while decoding: the keep-up control may swap model_
    std::unique_ptr<model> model_;
    std::string model_file_; // under mu_, for messages
    std::atomic<std::uint64_t> samples_{0};

    // The caller's thread only.
    endpointer ep_;
    std::vector<endpointer::event> events_;

    // Shared, under mu_.
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> final_waiting_{false}; // set with each queued final, cleared as they are taken
    keep_up keep_;
    std::uint64_t interval_ = 0; // samples of speech between partials; 0: finals only
    std::vector<result> results_;
    std::vector<whisper_event> pending_events_;
    std::deque<final_job> finals_;
    bool final_busy_ = false;
    bool in_piece_ = false; // the piece below is still being spoken
    std::uint64_t pieces_ = 0, piece_ = 0;
    std::vector<std::int16_t> pcm_;
    std::uint64_t first_ = 0, onset_ = 0, fed_end_ = 0, next_partial_ = 0;
    bool partial_due_ = false;

    // The decoding thread only (and cut_at_stable_word under mu_).
    std::string prompt_; // the previous final
    std::string terms_;  // "Glossary: A, B. " or ""
    agreement agree_;
    std::uint64_t agree_piece_ = 0;

    std::thread worker_;
};

} // namespace

core::result<std::unique_ptr<recognizer>>
make_whisper_recognizer(const recognizer_options& opts, std::unique_ptr<model> m, whisper_options wo) {
    if (!m)
        return core::make_error("whisper: no model");
    const auto info = m->info();
    std::string lang = opts.lang.substr(0, opts.lang.find('-'));
    for (auto& c : lang)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!info.multilingual && lang != "en")
        return core::make_error("the whisper model " + m->path() + " is English-only and --lang is " +
                                opts.lang + ": use a multilingual model (--model tiny, base or small)");
    if (whisper_lang_id(lang.c_str()) < 0)
        return core::make_error("whisper does not know the language '" + opts.lang +
                                "' (--lang): give a code such as en, es, de or fr");
    if (wo.partial_interval_s < 0 || wo.cut_after_s < 2 || wo.max_backlog_s <= 0)
        return core::make_error("whisper: partial interval, cut length or backlog out of range");
    int threads = wo.threads;
    if (threads <= 0)
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
    auto o = opts;
    o.lang = lang;
    return std::unique_ptr<recognizer>(new whisper_engine(o, std::move(m), std::move(wo), threads));
}

} // namespace lt::stt::whisper

#else

namespace lt::stt::whisper {

core::result<std::unique_ptr<recognizer>> make_whisper_recognizer(const recognizer_options&,
                                                                  std::unique_ptr<model>, whisper_options) {
    return core::make_error("the whisper engine is not built: configure with -DLT_WHISPER=ON after "
                            "scripts/setup.sh has fetched whisper.cpp");
}

} // namespace lt::stt::whisper

#endif
