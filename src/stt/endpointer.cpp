#include "stt/endpointer.hpp"

#include <algorithm>
#include <cmath>

namespace lt::stt {
namespace {

constexpr double no_signal_dbfs = -120;
constexpr int chunk_frames = 3;

int to_frames(double seconds) {
    return std::max(
        0, static_cast<int>(std::lround(seconds * endpointer::sample_rate / endpointer::frame_samples)));
}

} // namespace

endpointer::endpointer(const endpointer_options& opts) : endpointer(opts, tuning{}) {}

endpointer::endpointer(const endpointer_options& opts, const tuning& t)
    : opts_(opts), t_(t), pre_roll_frames_(to_frames(opts.pre_roll_s)),
      min_speech_frames_(std::max(1, to_frames(opts.min_speech_s))),
      end_silence_frames_(std::max(1, to_frames(opts.end_silence_s))),
      long_end_silence_frames_(std::max(1, to_frames(opts.long_end_silence_s))),
      long_utt_frames_(static_cast<std::uint64_t>(to_frames(opts.long_utterance_s))),
      max_utt_frames_(static_cast<std::uint64_t>(std::max(1, to_frames(opts.max_utterance_s)))),
      cut_search_frames_(to_frames(t.cut_search_s)),
      max_chunks_(static_cast<std::size_t>(std::max(1, to_frames(t.floor_window_s) / chunk_frames))) {
    // The onset run may span min_speech plus its tolerated gaps; the pre-roll goes before it.
    history_max_ =
        static_cast<std::size_t>(pre_roll_frames_ + 2 * min_speech_frames_ + 2 * t_.onset_gap_frames + 2);
}

double endpointer::frame_dbfs(std::span<const std::int16_t> frame) {
    if (frame.empty())
        return no_signal_dbfs;
    double mean = 0;
    for (auto s : frame)
        mean += s;
    mean /= static_cast<double>(frame.size());
    double energy = 0;
    for (auto s : frame) {
        const double d = s - mean;
        energy += d * d;
    }
    energy /= static_cast<double>(frame.size()) * 32768.0 * 32768.0;
    if (energy <= 0)
        return no_signal_dbfs;
    return std::max(no_signal_dbfs + 1, 10 * std::log10(energy));
}

double endpointer::noise_floor_dbfs() const {
    if (chunk_levels_.empty()) {
        return chunk_fill_ > 0 ? 10 * std::log10(chunk_energy_ / chunk_fill_) : no_signal_dbfs;
    }
    const double all = *std::min_element(chunk_levels_.begin(), chunk_levels_.end());
    if (idle_levels_.empty())
        return all;
    // Quiet stretches inside and around speech (a synthetic voice's near-digital silence, a
    // close microphone between words) are not the room: were the floor their level, the room
    // noise of the pause after would count as speech and the utterance would not end. So the
    // floor is the median of the room heard between utterances, which a few such dips (or
    // clicks) do not move; it still rises during speech if the room gets louder.
    std::vector<double> idle(idle_levels_.begin(), idle_levels_.end());
    auto mid = idle.begin() + static_cast<std::ptrdiff_t>(idle.size() / 2);
    std::nth_element(idle.begin(), mid, idle.end());
    return std::max(all, *mid);
}

// Minimum statistics over 30 ms chunk means: the quietest stretch of the last few seconds
// is the room, since speech has gaps between syllables; a louder room replaces it within
// the window. Means rather than single frames so that fluctuating noise does not set the
// floor too low; short so that they fit in the gaps of fast speech.
void endpointer::update_floor(double dbfs) {
    chunk_energy_ += std::pow(10.0, dbfs / 10);
    if (++chunk_fill_ == chunk_frames) {
        const double level = 10 * std::log10(chunk_energy_ / chunk_frames);
        chunk_levels_.push_back(level);
        if (chunk_levels_.size() > max_chunks_)
            chunk_levels_.pop_front();
        if (!in_utt_)
            idle_pending_.emplace_back(frame_index_ - 1, level);
        chunk_energy_ = 0;
        chunk_fill_ = 0;
    }
}

void endpointer::push(std::span<const std::int16_t> pcm, std::vector<event>& out) {
    constexpr std::size_t fs = frame_samples;
    if (!part_.empty()) {
        const std::size_t take = std::min(pcm.size(), fs - part_.size());
        part_.insert(part_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(take));
        pcm = pcm.subspan(take);
        if (part_.size() < fs)
            return;
        push_frame(part_, out);
        part_.clear();
    }
    while (pcm.size() >= fs) {
        push_frame(pcm.first(fs), out);
        pcm = pcm.subspan(fs);
    }
    part_.assign(pcm.begin(), pcm.end());
}

void endpointer::push_frame(std::span<const std::int16_t> frame, std::vector<event>& out) {
    const std::uint64_t idx = frame_index_++;
    const double db = frame_dbfs(frame);
    // Digital zeros say nothing about the room: they neither lower the floor nor count.
    const bool no_signal = db <= no_signal_dbfs;
    if (!no_signal)
        update_floor(db);
    const double floor = noise_floor_dbfs();
    frame_rec rec{idx, db, std::vector<std::int16_t>(frame.begin(), frame.end())};

    if (!in_utt_) {
        // Idle audio is room only once it is too old to be part of an onset run or its
        // pre-roll (an onset drops what is still pending): speech never sets the floor.
        while (!idle_pending_.empty() && idle_pending_.front().first + history_max_ < idx) {
            idle_levels_.push_back(idle_pending_.front().second);
            idle_pending_.pop_front();
            if (idle_levels_.size() > max_chunks_)
                idle_levels_.pop_front();
        }
        const bool loud = !no_signal && db >= t_.absolute_min_dbfs && db >= floor + t_.onset_margin_db;
        history_.push_back(std::move(rec));
        if (history_.size() > history_max_)
            history_.pop_front();
        if (loud) {
            if (!candidate_) {
                candidate_ = true;
                run_start_ = idx;
                run_loud_ = 0;
            }
            ++run_loud_;
            run_gap_ = 0;
        } else if (candidate_ && ++run_gap_ > t_.onset_gap_frames) {
            candidate_ = false;
        }
        if (candidate_ && run_loud_ >= min_speech_frames_)
            begin_utterance(run_start_, out);
        return;
    }

    const bool speech = !no_signal && db >= t_.absolute_min_dbfs && db >= floor + t_.continue_margin_db;
    if (speech) {
        last_speech_frame_ = idx;
        silence_run_ = 0;
    } else {
        ++silence_run_;
    }
    const std::uint64_t len = idx + 1 - onset_frame_;
    // The last cut_search_s before the hard limit is held back so the cut can go before it.
    const bool hold = max_utt_frames_ > static_cast<std::uint64_t>(cut_search_frames_) &&
                      len + static_cast<std::uint64_t>(cut_search_frames_) > max_utt_frames_;
    if (hold || !held_.empty()) {
        held_.push_back(std::move(rec));
    } else {
        emit_audio(rec, out);
    }
    const int need = len >= long_utt_frames_ ? long_end_silence_frames_ : end_silence_frames_;
    if (silence_run_ >= need) {
        end_utterance((last_speech_frame_ + 1) * frame_samples, false, out);
    } else if (len >= max_utt_frames_) {
        cut_long_utterance(out);
    }
}

void endpointer::begin_utterance(std::uint64_t onset_frame, std::vector<event>& out) {
    in_utt_ = true;
    candidate_ = false;
    idle_pending_.clear();
    onset_frame_ = onset_frame;
    last_speech_frame_ = frame_index_ - 1;
    silence_run_ = 0;
    out.push_back(event{event::kind::begin, onset_frame * frame_samples, {}, false});

    const std::uint64_t pre = static_cast<std::uint64_t>(pre_roll_frames_);
    const std::uint64_t first = std::max(onset_frame > pre ? onset_frame - pre : 0, next_unfed_frame_);
    event audio{event::kind::audio, 0, {}, false};
    bool started = false;
    for (const auto& f : history_) {
        // Leading digital zeros say nothing to the decoder and upset its normalisation.
        if (f.index < first || (!started && f.dbfs <= no_signal_dbfs))
            continue;
        if (!started) {
            audio.sample = f.index * frame_samples;
            started = true;
        }
        audio.pcm.insert(audio.pcm.end(), f.pcm.begin(), f.pcm.end());
    }
    history_.clear();
    if (started)
        out.push_back(std::move(audio));
}

void endpointer::emit_audio(const frame_rec& f, std::vector<event>& out) {
    out.push_back(event{event::kind::audio, f.index * frame_samples, f.pcm, false});
}

void endpointer::end_utterance(std::uint64_t end_sample, bool cut, std::vector<event>& out) {
    for (const auto& f : held_)
        emit_audio(f, out);
    held_.clear();
    out.push_back(event{event::kind::end, end_sample, {}, cut});
    in_utt_ = false;
    candidate_ = false;
    silence_run_ = 0;
    history_.clear();
    next_unfed_frame_ = frame_index_;
}

void endpointer::cut_long_utterance(std::vector<event>& out) {
    // Cut after the quietest held frame (the latest of equals): the likeliest gap between words.
    std::size_t k = held_.empty() ? 0 : held_.size() - 1;
    for (std::size_t i = 0; i < held_.size(); ++i) {
        if (held_[i].dbfs <= held_[k].dbfs)
            k = i;
    }
    std::uint64_t cut_frame = held_.empty() ? frame_index_ - 1 : held_[k].index;
    for (std::size_t i = 0; i < held_.size() && i <= k; ++i)
        emit_audio(held_[i], out);
    out.push_back(event{event::kind::end, (cut_frame + 1) * frame_samples, {}, true});

    // The speech goes on: a new utterance starts right after the cut, without pre-roll.
    onset_frame_ = cut_frame + 1;
    out.push_back(event{event::kind::begin, onset_frame_ * frame_samples, {}, false});
    if (last_speech_frame_ < onset_frame_)
        last_speech_frame_ = std::min(onset_frame_, frame_index_ - 1);
    if (k + 1 < held_.size()) {
        event audio{event::kind::audio, held_[k + 1].index * frame_samples, {}, false};
        for (std::size_t i = k + 1; i < held_.size(); ++i) {
            audio.pcm.insert(audio.pcm.end(), held_[i].pcm.begin(), held_[i].pcm.end());
        }
        out.push_back(std::move(audio));
    }
    held_.clear();
}

void endpointer::finish(std::vector<event>& out) {
    part_.clear();
    if (in_utt_)
        end_utterance((last_speech_frame_ + 1) * frame_samples, false, out);
    candidate_ = false;
    history_.clear();
}

} // namespace lt::stt
