// CMU PocketSphinx (Debian's 0.8+5prealpha) behind stt::recognizer: offline, English with
// Debian's en-us model, utterances cut by stt::endpointer. The engine "pocketsphinx" of
// stt::make_recognizer, which is the usual way in.
#pragma once

#include "stt/recognizer.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lt::stt::pocketsphinx {

// Decoder settings. The defaults were chosen by bench/stt_tune on the TUNING set of
// tests/stt/flite_corpus.hpp only (BENCHMARKS.md); the tests score on the disjoint TEST set.
struct decoder_settings {
    // Starting cepstral mean for the default model ("a,b,..." of 13 values); empty: the
    // model's feat.params value, which is far from where read speech settles and cost the
    // first sentences of a stream words. This one is where `pocketsphinx_continuous` ends on
    // the tuning set. Ignored with --model-dir (another model, another mean).
    std::string cmninit = "49.07,1.07,-0.77,16.14,-6.83,-3.08,4.50,-6.79,-2.81,-6.13,2.52,-1.37,-0.51";
    // Active HMMs per frame (-1: no cap). 3000 tied 30000 on tuning WER at half the time.
    int maxhmmpf = 3000;
    // Second (flat-lexicon) pass: no gain on the tuning set, ~half the decode time.
    bool fwdflat = false;
    // Lattice pass: without it tuning WER doubled (11.3 -> 21.7 %).
    bool bestpath = true;
};

// The model's files (--model-dir, --dict, --lm) and decoder settings.
struct pocketsphinx_options {
    std::string model_dir; // acoustic model folder; empty: the engine's default (en-us)
    std::string dict;      // pronunciation dictionary; empty: the model's default
    std::string lm;        // language model; empty: the model's default
    decoder_settings decoder;
    // The event's names and terms (the glossary): words the dictionary lacks are added with a
    // given pronunciation (glossary_phones: word -> CMU phones), letter by letter for an
    // acronym, or from dictionary words for a compound; the rest are named in a warning, since
    // this version has no grapheme-to-phoneme (glossary_words.hpp).
    std::vector<std::string> glossary_terms;
    std::map<std::string, std::string> glossary_phones;
};

// Errors name the missing file and the option to set, or the language the default model
// cannot recognise.
core::result<std::unique_ptr<recognizer>> make_pocketsphinx_recognizer(const recognizer_options& opts,
                                                                       const pocketsphinx_options& model);

} // namespace lt::stt::pocketsphinx
