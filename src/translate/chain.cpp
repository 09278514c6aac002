#include "translate/chain.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace lt::translate {
namespace {

using steady = std::chrono::steady_clock;

class chain final : public translator {
public:
    chain(std::vector<std::shared_ptr<translator>> engines, chain_options opts) : opts_(opts) {
        for (auto& e : engines) {
            auto m = std::make_unique<member>();
            m->engine = std::move(e);
            members_.push_back(std::move(m));
        }
        prober_ = std::thread([this] { probe_loop(); });
    }

    ~chain() override {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        prober_.join();
    }

    std::string name() const override {
        std::string out;
        for (const auto& m : members_)
            out += (out.empty() ? "" : ",") + m->engine->name();
        return out;
    }

    std::vector<std::string> targets(std::string_view source) const override {
        std::set<std::string> all;
        for (const auto& m : members_)
            for (auto& t : m->engine->targets(source))
                all.insert(std::move(t));
        return {all.begin(), all.end()};
    }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        auto r = translate_by_engine(source, target, text);
        if (!r)
            return core::make_error(r.error_message());
        return std::move(r.value().text);
    }

    core::result<translation> translate_by_engine(std::string_view source, std::string_view target,
                                                  std::string_view text) override {
        std::string errors;
        member* failed = nullptr; // the last member that failed this caption
        // Healthy members first; only when none serves the pair are the unhealthy ones tried,
        // since a caption nobody tries is lost for sure.
        for (bool want_healthy : {true, false}) {
            for (auto& m : members_) {
                if (m->healthy.load() != want_healthy || m->engine->engine_for(source, target).empty())
                    continue;
                if (failed)
                    ++failed->failovers;
                auto r = m->engine->translate_by_engine(source, target, text);
                if (r)
                    return r;
                errors += (errors.empty() ? "" : "; ") + r.error_message();
                mark_failed(*m, r.error_message(), source, target);
                failed = m.get();
            }
            if (failed)
                break;
        }
        if (!failed)
            return core::make_error("no engine of " + name() + " translates " + std::string(source) + " to " +
                                    std::string(target));
        return core::make_error(errors);
    }

    void note_caption(std::string_view source, std::string_view text) override {
        for (auto& m : members_)
            m->engine->note_caption(source, text);
    }

    std::string engine_for(std::string_view source, std::string_view target) const override {
        const member* m = serving(source, target);
        return m ? m->engine->engine_for(source, target) : std::string();
    }

    // The member that serves the pair now decides: a chain of deepl,apertium is not cheap
    // for a language DeepL translates, so a partial never becomes a DeepL call.
    bool cheap(std::string_view source, std::string_view target) const override {
        const member* m = serving(source, target);
        return m && m->engine->cheap(source, target);
    }

    core::result<translation> translate_cheaply(std::string_view source, std::string_view target,
                                                std::string_view text) override {
        const member* m = serving(source, target);
        if (!m)
            return core::make_error("no engine of " + name() + " translates " + std::string(source) + " to " +
                                    std::string(target));
        return m->engine->translate_cheaply(source, target, text);
    }

    std::vector<engine_health> engines() const override {
        std::vector<engine_health> out;
        std::lock_guard lock(mu_);
        for (const auto& m : members_) {
            const bool healthy = m->healthy.load();
            out.push_back(engine_health{m->engine->name(), healthy,
                                        healthy ? m->engine->state() : m->last_error, m->failures.load(),
                                        m->failovers.load()});
        }
        return out;
    }

    std::string state() const override {
        std::string out;
        for (const auto& e : engines())
            if (!e.healthy)
                out += (out.empty() ? "" : "; ") + e.name + " unhealthy: " + e.state;
        return out.empty() ? "ok" : out;
    }

    bool available() const override {
        return std::any_of(members_.begin(), members_.end(),
                           [](const auto& m) { return m->healthy.load() && m->engine->available(); });
    }

    std::size_t parallelism() const override {
        std::size_t n = 1;
        for (const auto& m : members_)
            n = std::max(n, m->engine->parallelism());
        return n;
    }

private:
    struct member {
        std::shared_ptr<translator> engine;
        std::atomic<bool> healthy{true};
        std::atomic<std::uint64_t> failures{0}, failovers{0};
        // Under mu_.
        std::string last_error;
        std::string probe_source, probe_target; // the pair that failed: what the probe asks
        std::chrono::milliseconds probe_delay{0};
        steady::time_point next_probe;
    };

    // The member that translates source -> target now: the first healthy one that serves the
    // pair, else the first unhealthy one; null when none serves it.
    const member* serving(std::string_view source, std::string_view target) const {
        const member* unhealthy = nullptr;
        for (const auto& m : members_) {
            if (m->engine->engine_for(source, target).empty())
                continue;
            if (m->healthy.load())
                return m.get();
            if (!unhealthy)
                unhealthy = m.get();
        }
        return unhealthy;
    }

    void mark_failed(member& m, const std::string& why, std::string_view source, std::string_view target) {
        ++m.failures;
        {
            std::lock_guard lock(mu_);
            m.last_error = why;
            m.probe_source = source;
            m.probe_target = target;
            if (m.healthy.exchange(false)) {
                m.probe_delay = opts_.first_probe;
                m.next_probe = steady::now() + m.probe_delay;
                spdlog::warn("translation engine {} failed ({}); the next engine of {} takes its languages "
                             "until it answers again",
                             m.engine->name(), why, name());
            }
        }
        cv_.notify_all();
    }

    // A short phrase in the language pair that failed (an engine may serve no English at all).
    void probe(member& m) {
        std::string source, target;
        {
            std::lock_guard lock(mu_);
            source = m.probe_source;
            target = m.probe_target;
        }
        auto r = m.engine->translate(source, target, source == "en" ? "Hello." : "OK");
        std::lock_guard lock(mu_);
        if (r) {
            m.healthy = true;
            m.last_error.clear();
            spdlog::info("translation engine {} answers again: back in {}", m.engine->name(), name());
            return;
        }
        m.last_error = r.error_message();
        m.probe_delay = std::min(opts_.max_probe, m.probe_delay * 2);
        m.next_probe = steady::now() + m.probe_delay;
    }

    void probe_loop() {
        std::unique_lock lock(mu_);
        while (!stopping_) {
            member* due = nullptr;
            auto wake = steady::time_point::max();
            for (auto& m : members_) {
                if (m->healthy.load())
                    continue;
                if (m->next_probe <= steady::now()) {
                    due = m.get();
                    break;
                }
                wake = std::min(wake, m->next_probe);
            }
            if (due) {
                lock.unlock();
                probe(*due);
                lock.lock();
                continue;
            }
            if (wake == steady::time_point::max())
                cv_.wait(lock);
            else
                cv_.wait_until(lock, wake);
        }
    }

    chain_options opts_;
    std::vector<std::unique_ptr<member>> members_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread prober_;
};

} // namespace

core::result<std::shared_ptr<translator>> make_chain(std::vector<std::shared_ptr<translator>> engines,
                                                     chain_options opts) {
    if (engines.size() < 2)
        return core::make_error("a translator chain needs at least two engines");
    std::set<std::string> names;
    for (const auto& e : engines)
        if (!e || !names.insert(e->name()).second)
            return core::make_error("translator chain: " +
                                    (e ? "'" + e->name() + "' is listed twice" : "no engine"));
    return std::shared_ptr<translator>(std::make_shared<chain>(std::move(engines), opts));
}

} // namespace lt::translate
