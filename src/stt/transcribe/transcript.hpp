// Transcribe's TranscriptEvents -> stt::results, without any network: one ResultId is one
// utterance; IsPartial results are partials, the others finals. With partial-results
// stabilization, whole sentences among the stable items of a partial that goes on are
// finalised early, so a speaker who never pauses still gets finals.
#pragma once

#include "core/result.hpp"
#include "stt/recognizer.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::stt::transcribe {

// Utterance numbers shared by every stream of one recognizer, so they keep increasing
// across stream rotations and reconnects.
struct utterance_counter {
    std::uint64_t last = 0;
    // A partial left open by a lost stream: the replayed audio's first utterance takes
    // its number, so viewers see that partial replaced rather than abandoned.
    std::optional<std::uint64_t> reuse;
    std::uint64_t next();
};

// The results of one stream. Not thread-safe.
class transcript_mapper {
public:
    // `offset_s`: where the stream's audio begins in the recognizer's timeline.
    explicit transcript_mapper(utterance_counter& counter, double offset_s = 0)
        : counter_(&counter), offset_s_(offset_s) {}
    void set_offset(double offset_s) { offset_s_ = offset_s; }
    double offset() const { return offset_s_; }

    // One TranscriptEvent's JSON payload. Malformed JSON is an error; unknown or missing
    // fields are tolerated (null where AWS sends null).
    core::result<std::vector<stt::result>> on_event(std::string_view payload);

    // A result shown as a partial whose final has not come yet.
    bool partial_pending() const;
    std::optional<std::uint64_t> pending_utterance() const;
    // Timeline end of the newest final (early ones included); nullopt before the first.
    std::optional<double> last_final_end() const { return last_final_end_; }
    // Finals made of the last partials still open (a stream given up at the end).
    std::vector<stt::result> flush();

private:
    struct item {
        std::string content;
        bool punctuation = false;
        bool stable = false;
        double start = 0, end = 0;
    };
    struct open_result {
        std::uint64_t utterance = 0;       // 0: nothing shown since the last (early) final
        std::vector<std::string> consumed; // items already finalised early
        double consumed_end = 0;
        stt::result last; // the partial shown
    };

    std::uint64_t utterance_of(open_result& r);

    utterance_counter* counter_;
    double offset_s_;
    std::map<std::string, open_result> open_;
    std::optional<double> last_final_end_;
};

} // namespace lt::stt::transcribe
