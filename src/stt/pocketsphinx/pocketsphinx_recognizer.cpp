#include "stt/pocketsphinx/pocketsphinx_recognizer.hpp"

#include "stt/endpointer.hpp"
#include "stt/pocketsphinx/glossary_words.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#ifndef LT_POCKETSPHINX_MODELDIR
#define LT_POCKETSPHINX_MODELDIR "/usr/share/pocketsphinx/model"
#endif

namespace lt::stt::pocketsphinx {
namespace {

namespace fs = std::filesystem;

// The decoder's text without fillers (<sil>, [NOISE], ++UH++) and alternate-pronunciation
// markers ("read(2)"), single-spaced. Empty when only noise was heard.
std::string clean_hyp(const char* hyp) {
    if (hyp == nullptr)
        return {};
    std::istringstream in(hyp);
    std::string word, text;
    while (in >> word) {
        if (word.front() == '<' || word.front() == '[' || word.rfind("++", 0) == 0)
            continue;
        if (auto p = word.find('('); p != std::string::npos && p > 0 && word.back() == ')') {
            word.resize(p);
        }
        if (!text.empty())
            text += ' ';
        text += word;
    }
    return text;
}

class pocketsphinx_recognizer final : public recognizer {
public:
    pocketsphinx_recognizer(ps_decoder_t* ps, cmd_ln_t* config, const endpointer_options& ep)
        : ps_(ps), config_(config), ep_(ep),
          poll_samples_(static_cast<std::uint64_t>(std::max(0.02, ep.partial_interval_s / 3) *
                                                   endpointer::sample_rate)),
          interval_samples_(3 * poll_samples_) {}

    ~pocketsphinx_recognizer() override {
        if (in_utt_)
            ps_end_utt(ps_);
        ps_free(ps_);
        cmd_ln_free_r(config_);
    }

    pocketsphinx_recognizer(const pocketsphinx_recognizer&) = delete;
    pocketsphinx_recognizer& operator=(const pocketsphinx_recognizer&) = delete;

    std::string name() const override { return "pocketsphinx"; }
    bool needs_truecasing() const override { return true; }
    double audio_seconds() const override { return static_cast<double>(samples_) / endpointer::sample_rate; }

    std::vector<result> feed(std::span<const std::int16_t> pcm) override {
        std::vector<result> results;
        samples_ += pcm.size();
        ep_.push(pcm, events_);
        handle_events(results);
        return results;
    }

    std::vector<result> finish() override {
        std::vector<result> results;
        // A trailing part-frame only matters inside an utterance: give it to the decoder.
        if (auto tail = ep_.tail(); in_utt_ && !tail.empty())
            ps_process_raw(ps_, tail.data(), tail.size(), FALSE, FALSE);
        ep_.finish(events_);
        handle_events(results);
        return results;
    }

private:
    void handle_events(std::vector<result>& results) {
        for (auto& e : events_) {
            switch (e.type) {
            case endpointer::event::kind::begin:
                ps_start_utt(ps_);
                in_utt_ = true;
                utt_has_id_ = false;
                onset_sample_ = e.sample;
                fed_since_poll_ = 0;
                last_partial_.clear();
                break;
            case endpointer::event::kind::audio:
                ps_process_raw(ps_, e.pcm.data(), e.pcm.size(), FALSE, FALSE);
                fed_end_sample_ = e.sample + e.pcm.size();
                fed_since_poll_ += e.pcm.size();
                if (fed_since_poll_ >= poll_samples_) {
                    fed_since_poll_ = 0;
                    poll_partial(results);
                }
                break;
            case endpointer::event::kind::end: {
                ps_end_utt(ps_);
                in_utt_ = false;
                std::string text = clean_hyp(ps_get_hyp(ps_, nullptr));
                if (!text.empty()) {
                    results.push_back(
                        make_result(std::move(text), true, onset_sample_, std::max(e.sample, onset_sample_)));
                }
                break;
            }
            }
        }
        events_.clear();
    }

    // A partial when the text changed, and at least every partial_interval_s of speech even
    // when it did not: viewers and the speaker's console see that recognition is alive.
    void poll_partial(std::vector<result>& results) {
        std::string text = clean_hyp(ps_get_hyp(ps_, nullptr));
        if (text.empty())
            return;
        const bool due = fed_end_sample_ >= last_partial_sample_ + interval_samples_;
        if (text == last_partial_ && !due)
            return;
        last_partial_ = text;
        last_partial_sample_ = fed_end_sample_;
        results.push_back(make_result(std::move(text), false, onset_sample_, fed_end_sample_));
    }

    result make_result(std::string text, bool final, std::uint64_t start, std::uint64_t end) {
        // Utterances are numbered only when they say something.
        if (!utt_has_id_) {
            utt_has_id_ = true;
            ++utt_id_;
        }
        result r;
        r.text = std::move(text);
        r.final = final;
        r.utterance = utt_id_;
        r.start_s = static_cast<double>(start) / endpointer::sample_rate;
        r.end_s = static_cast<double>(end) / endpointer::sample_rate;
        return r;
    }

    ps_decoder_t* ps_;
    cmd_ln_t* config_;
    endpointer ep_;
    std::uint64_t poll_samples_;
    std::vector<endpointer::event> events_;
    std::uint64_t samples_ = 0;
    bool in_utt_ = false;
    bool utt_has_id_ = false;
    std::uint64_t utt_id_ = 0;
    std::uint64_t onset_sample_ = 0;
    std::uint64_t fed_end_sample_ = 0;
    std::uint64_t fed_since_poll_ = 0;
    std::string last_partial_;
    std::uint64_t last_partial_sample_ = 0;
    std::uint64_t interval_samples_;
};

std::string check_file(const std::string& path, const char* what, const char* option, bool directory) {
    std::error_code ec;
    const bool ok = directory ? fs::is_directory(path, ec) : fs::is_regular_file(path, ec);
    if (ok)
        return {};
    return std::string("pocketsphinx: ") + what + " not found: " + path + " (set " + option +
           (directory ? " to the acoustic model folder" : "") + ")";
}

// The glossary's words the dictionary lacks, added where a pronunciation is given or can be
// made (glossary_words.hpp); the rest named in a warning. A given pronunciation the model
// cannot use (a phone it lacks) is an error naming the word.
// Empty, or what went wrong.
std::string add_glossary_words(ps_decoder_t* ps, const pocketsphinx_options& model) {
    auto lookup = [ps](const std::string& w) {
        char* p = ps_lookup_word(ps, w.c_str());
        std::string phones = p ? p : "";
        ckd_free(p);
        return phones;
    };
    auto plan = plan_glossary_words(model.glossary_terms, model.glossary_phones, lookup);
    std::string added;
    for (std::size_t i = 0; i < plan.add.size(); ++i) {
        const auto& w = plan.add[i];
        if (ps_add_word(ps, w.word.c_str(), w.phones.c_str(), i + 1 == plan.add.size()) < 0)
            return "pocketsphinx: cannot add the glossary word '" + w.word + "' as '" + w.phones +
                   "': the model lacks one of these phones (CMU phones such as OW K AA F ER)";
        added += (added.empty() ? "" : ", ") + w.word + " (" + w.how + ": " + w.phones + ")";
    }
    if (!added.empty())
        std::cerr << "lt-speech: pocketsphinx learned these glossary words: " << added << "\n";
    if (!plan.unknown.empty()) {
        std::string list;
        for (const auto& w : plan.unknown)
            list += (list.empty() ? "" : ", ") + w;
        std::cerr
            << "lt-speech: warning: pocketsphinx's dictionary lacks these glossary words and has no way to "
               "guess how they sound, so it cannot recognise them: "
            << list << " (give each a row such as 'Okafor,phones,OW K AA F ER' in the glossary)\n";
    }
    return {};
}

} // namespace

core::result<std::unique_ptr<recognizer>> make_pocketsphinx_recognizer(const recognizer_options& opts,
                                                                       const pocketsphinx_options& model) {
    const bool default_model = model.model_dir.empty() && model.dict.empty() && model.lm.empty();
    if (default_model && !opts.lang.empty() && opts.lang.rfind("en", 0) != 0) {
        return core::make_error("pocketsphinx: the default model is English; for '" + opts.lang +
                                "' set --model-dir, --dict and --lm to a model of that language");
    }
    const std::string base = std::string(LT_POCKETSPHINX_MODELDIR) + "/en-us";
    const std::string hmm = model.model_dir.empty() ? base + "/en-us" : model.model_dir;
    const std::string dict = model.dict.empty() ? base + "/cmudict-en-us.dict" : model.dict;
    const std::string lm = model.lm.empty() ? base + "/en-us.lm.bin" : model.lm;

    for (auto err : {check_file(hmm, "acoustic model folder", "--model-dir", true),
                     check_file(hmm + "/mdef", "acoustic model definition", "--model-dir", false),
                     check_file(dict, "pronunciation dictionary", "--dict", false),
                     check_file(lm, "language model", "--lm", false)}) {
        if (!err.empty())
            return core::make_error(err);
    }

    if (model.decoder.maxhmmpf == 0 || model.decoder.maxhmmpf < -1) {
        return core::make_error("pocketsphinx: maxhmmpf must be positive or -1 (no cap), got " +
                                std::to_string(model.decoder.maxhmmpf));
    }
    // Logging is process-wide in sphinxbase; quiet unless asked.
    err_set_logfp(opts.verbose ? stderr : nullptr);
    const bool our_model = model.model_dir.empty();
    std::vector<std::string> args = {
        "-hmm",
        hmm,
        "-dict",
        dict,
        "-lm",
        lm,
        // Our endpointer decides what is speech; the decoder's own VAD would drop frames of
        // the pre-roll and pause we hand it.
        "-remove_silence",
        "no",
        // Pruning and passes: decoder_settings, chosen by bench/stt_tune on the tuning set.
        "-maxhmmpf",
        std::to_string(model.decoder.maxhmmpf),
        "-fwdflat",
        model.decoder.fwdflat ? "yes" : "no",
        "-bestpath",
        model.decoder.bestpath ? "yes" : "no",
        // Digital zeros inside an utterance (a dropout) must not reach the log spectrum.
        "-dither",
        "yes",
        "-seed",
        "1",
    };
    if (!opts.verbose)
        args.insert(args.end(), {"-logfn", "/dev/null"});
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(argv.size()), argv.data(), TRUE);
    if (config == nullptr)
        return core::make_error("pocketsphinx: invalid configuration");
    ps_decoder_t* ps = ps_init(config);
    if (ps == nullptr) {
        cmd_ln_free_r(config);
        return core::make_error("pocketsphinx failed to load the model (--model-dir " + hmm + ", --dict " +
                                dict + ", --lm " + lm + "); run with verbose logging for the reason");
    }
    if (auto why = add_glossary_words(ps, model); !why.empty()) {
        ps_free(ps);
        cmd_ln_free_r(config);
        return core::make_error(why);
    }
    // -cmninit on the command line loses to the model's feat.params in this version, so the
    // starting estimate is set on the feature stream itself.
    if (our_model && !model.decoder.cmninit.empty()) {
        std::vector<mfcc_t> mean;
        std::istringstream in(model.decoder.cmninit);
        try {
            for (std::string v; std::getline(in, v, ',');)
                mean.push_back(FLOAT2MFCC(std::stof(v)));
        } catch (const std::exception&) {
            mean.clear();
        }
        feat_t* feat = ps_get_feat(ps);
        const std::size_t want =
            feat && feat->cmn_struct ? static_cast<std::size_t>(feat->cmn_struct->veclen) : 0;
        if (want == 0 || mean.size() != want) {
            ps_free(ps);
            cmd_ln_free_r(config);
            return core::make_error("pocketsphinx: cmninit must be " + std::to_string(want) +
                                    " comma-separated numbers, got '" + model.decoder.cmninit + "'");
        }
        cmn_live_set(feat->cmn_struct, mean.data());
    }
    return std::unique_ptr<recognizer>(std::make_unique<pocketsphinx_recognizer>(ps, config, opts.endpoint));
}

} // namespace lt::stt::pocketsphinx
