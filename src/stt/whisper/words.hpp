// Words of a decoded utterance and the streaming rules on them: LocalAgreement-2 (a word is
// stable once two consecutive decodes agree on it, and is never taken back) and the
// repeated-phrase guard against whisper's looping output. Plain data, no whisper.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lt::stt::whisper {

struct word {
    std::string text;   // as decoded, with its punctuation ("Hello,")
    double start_s = 0; // from the start of the decoded audio
    double end_s = 0;
};

// Lower case without the punctuation around it: the form two decodes are compared in.
std::string normalized(const std::string& text);

// The words joined with single spaces.
std::string join(const std::vector<word>& words);

// Where `hyp` goes on after `stable`, a prefix decoded earlier: the index just past the last
// stable word's match found within a few words of where it should be, else stable.size()
// (clamped to hyp.size()). A decode may drop or add a word near the start; this keeps the
// continuation from repeating or losing one.
std::size_t continue_after(const std::vector<word>& stable, const std::vector<word>& hyp);

// LocalAgreement-2 over the decodes of one growing utterance.
class agreement {
public:
    // A new decode of the whole utterance: extends the stable words by the prefix it shares
    // with the previous decode (after the stable ones). Returns the partial to show: the
    // stable words, then the rest of this decode.
    std::vector<word> update(const std::vector<word>& hyp);
    // The final: the stable words, then the final decode's words that follow them.
    std::vector<word> complete(const std::vector<word>& final_hyp) const;
    const std::vector<word>& stable() const { return stable_; }
    void reset();

private:
    std::vector<word> stable_;
    std::vector<word> previous_; // the last decode's words after the stable ones
};

// Looping output cut short: a phrase of 1-8 words repeated back to back more than
// `max_repeats` times (a single word more than max_repeats + 1 times) keeps only its first
// occurrence and loses everything after the loop, which by then is the model's, not the
// speaker's. Returns true when it cut.
bool drop_repeats(std::vector<word>& words, int max_repeats = 2);

// whisper.cpp's token times are estimates that can be missing or wild (negative, past the
// audio, going backwards). Plausible: each word within [0, audio_s] and none starting before
// the previous one started.
bool times_plausible(const std::vector<word>& words, double audio_s);
// The fallback: the audio shared out over the words by their length in characters, which
// follows speaking time better than the word count does.
void spread_times(std::vector<word>& words, double audio_s);

// Where long speech is cut after its stable words: the decoder's word end time is an
// estimate, so the cut goes at the quietest 10 ms frame from `stable_end_s` up to
// `next_start_s` (the next word's start; 0.4 s later at most). A sample index into `pcm`
// (16 kHz); 0 or pcm.size() when there is no audio on one side of it.
std::size_t quiet_cut(std::span<const std::int16_t> pcm, double stable_end_s, double next_start_s);

} // namespace lt::stt::whisper
