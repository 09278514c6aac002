#include "translate/apertium/apertium_translator.hpp"

#include "translate/apertium/mode_file.hpp"
#include "translate/apertium/process_chain.hpp"
#include "translate/apertium/stream_format.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace lt::translate::apertium {

namespace {

struct language_code {
    std::string_view three; // ISO 639-3, as most mode files name languages
    std::string_view two;   // ISO 639-1, as the protocol does
    std::string_view name;
};

// The languages Apertium has pairs for, and their neighbours (three to a line).
// clang-format off
constexpr language_code language_codes[] = {
    {"afr", "af", "Afrikaans"},  {"ara", "ar", "Arabic"},     {"arg", "an", "Aragonese"},
    {"aze", "az", "Azerbaijani"}, {"bak", "ba", "Bashkir"},   {"bel", "be", "Belarusian"},
    {"ben", "bn", "Bengali"},    {"bos", "bs", "Bosnian"},    {"bre", "br", "Breton"},
    {"bul", "bg", "Bulgarian"},  {"cat", "ca", "Catalan"},    {"ces", "cs", "Czech"},
    {"cos", "co", "Corsican"},   {"cym", "cy", "Welsh"},      {"dan", "da", "Danish"},
    {"deu", "de", "German"},     {"ell", "el", "Greek"},      {"eng", "en", "English"},
    {"epo", "eo", "Esperanto"},  {"est", "et", "Estonian"},   {"eus", "eu", "Basque"},
    {"fao", "fo", "Faroese"},    {"fas", "fa", "Persian"},    {"fin", "fi", "Finnish"},
    {"fra", "fr", "French"},     {"fry", "fy", "Frisian"},    {"gla", "gd", "Scottish Gaelic"},
    {"gle", "ga", "Irish"},      {"glg", "gl", "Galician"},   {"heb", "he", "Hebrew"},
    {"hin", "hi", "Hindi"},      {"hrv", "hr", "Croatian"},   {"hun", "hu", "Hungarian"},
    {"hye", "hy", "Armenian"},   {"ind", "id", "Indonesian"}, {"isl", "is", "Icelandic"},
    {"ita", "it", "Italian"},    {"jpn", "ja", "Japanese"},   {"kat", "ka", "Georgian"},
    {"kaz", "kk", "Kazakh"},     {"kir", "ky", "Kyrgyz"},     {"kor", "ko", "Korean"},
    {"kur", "ku", "Kurdish"},    {"lat", "la", "Latin"},      {"lav", "lv", "Latvian"},
    {"lit", "lt", "Lithuanian"}, {"ltz", "lb", "Luxembourgish"}, {"mkd", "mk", "Macedonian"},
    {"mlt", "mt", "Maltese"},    {"msa", "ms", "Malay"},      {"nld", "nl", "Dutch"},
    {"nno", "nn", "Norwegian Nynorsk"}, {"nob", "nb", "Norwegian Bokmål"},
    {"nor", "no", "Norwegian"},  {"oci", "oc", "Occitan"},    {"pol", "pl", "Polish"},
    {"por", "pt", "Portuguese"}, {"ron", "ro", "Romanian"},   {"rus", "ru", "Russian"},
    {"sme", "se", "Northern Sami"}, {"slk", "sk", "Slovak"},  {"slv", "sl", "Slovenian"},
    {"spa", "es", "Spanish"},    {"sqi", "sq", "Albanian"},   {"srd", "sc", "Sardinian"},
    {"srp", "sr", "Serbian"},    {"swa", "sw", "Swahili"},    {"swe", "sv", "Swedish"},
    {"tat", "tt", "Tatar"},      {"tgl", "tl", "Tagalog"},    {"tha", "th", "Thai"},
    {"tuk", "tk", "Turkmen"},    {"tur", "tr", "Turkish"},    {"ukr", "uk", "Ukrainian"},
    {"urd", "ur", "Urdu"},       {"uzb", "uz", "Uzbek"},      {"vie", "vi", "Vietnamese"},
    {"zho", "zh", "Chinese"},
};
// clang-format on

std::string_view language_name(std::string_view two) {
    for (const auto& c : language_codes)
        if (c.two == two)
            return c.name;
    return {};
}

bool is_code(std::string_view s) {
    return (s.size() == 2 || s.size() == 3) &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// source → target → the pairs to run, in order (one: direct, two: via the pivot).
template <class Leg>
using route_map = std::map<std::string, std::map<std::string, std::vector<Leg>, std::less<>>, std::less<>>;

template <class Leg, class GetPair>
route_map<Leg> build_routes(const std::vector<Leg>& legs, GetPair pair_of, std::string_view pivot) {
    route_map<Leg> routes;
    for (const auto& leg : legs)
        routes[pair_of(leg).source][pair_of(leg).target] = {leg};
    // Pivot routes only fill gaps: a direct pair always wins.
    for (const auto& first : legs) {
        const auto& a = pair_of(first);
        if (a.target != pivot)
            continue;
        for (const auto& second : legs) {
            const auto& b = pair_of(second);
            if (b.source != pivot || b.target == a.source)
                continue;
            auto& targets = routes[a.source];
            if (targets.find(b.target) == targets.end())
                targets[b.target] = {first, second};
        }
    }
    return routes;
}

std::string times(std::size_t n) { return std::to_string(n) + (n == 1 ? " time" : " times"); }

} // namespace

std::string to_iso639_1(std::string_view apertium_code) {
    for (const auto& c : language_codes)
        if (c.three == apertium_code)
            return std::string(c.two);
    return std::string(apertium_code);
}

std::vector<pair_info> installed_pairs(const std::filesystem::path& modes_dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(modes_dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".mode")
            files.push_back(it->path());
    std::sort(files.begin(), files.end());

    std::vector<pair_info> pairs;
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& file : files) {
        auto mode = file.stem().string();
        // Variants ("eng-cat_valencia") and other modes ("eco-es-fr", "eng-spa-tagger")
        // are not plain LANG1-LANG2 directions.
        auto dash = mode.find('-');
        if (dash == std::string::npos)
            continue;
        auto a = std::string_view(mode).substr(0, dash);
        auto b = std::string_view(mode).substr(dash + 1);
        if (!is_code(a) || !is_code(b))
            continue;
        auto source = to_iso639_1(a), target = to_iso639_1(b);
        if (source == target || !seen.emplace(source, target).second)
            continue;
        pairs.push_back(pair_info{source, target, file, mode});
    }
    std::sort(pairs.begin(), pairs.end(), [](const pair_info& x, const pair_info& y) {
        return std::tie(x.source, x.target) < std::tie(y.source, y.target);
    });
    return pairs;
}

namespace {

// One pair's pipeline and what /health needs to know about it.
struct pair_pipe {
    pair_pipe(pair_info i, command_list commands) : info(std::move(i)), pipe(std::move(commands)) {}

    pair_info info;
    std::mutex mu;              // one request at a time, so replies stay in request order
    process_chain pipe;         // guarded by mu
    std::size_t uses = 0;       // guarded by mu: requests since the last (re)start
    std::uint64_t requests = 0; // guarded by mu: numbers the nonces
    std::atomic<std::size_t> failure_restarts{0};

    // Guards pids and problem, which readers must see without waiting for a request.
    mutable std::mutex info_mu;
    std::vector<int> pids;
    std::string problem; // why the pipeline cannot start now; empty when it can
};

} // namespace

struct apertium_translator::impl {
    apertium_params params;
    std::string nonce_prefix; // random per translator, so nonces differ between runs
    std::vector<std::unique_ptr<pair_pipe>> pipes;
    route_map<pair_pipe*> routes;

    const std::vector<pair_pipe*>* find_route(std::string_view source, std::string_view target) const {
        auto s = routes.find(source);
        if (s == routes.end())
            return nullptr;
        auto t = s->second.find(target);
        return t == s->second.end() ? nullptr : &t->second;
    }

    pair_pipe* find_mode(std::string_view mode) const {
        for (const auto& p : pipes)
            if (p->info.mode == mode)
                return p.get();
        return nullptr;
    }

    static void publish(pair_pipe& p, std::string problem) {
        std::vector<int> pids;
        for (pid_t pid : p.pipe.pids())
            pids.push_back(static_cast<int>(pid));
        std::lock_guard lock(p.info_mu);
        p.pids = std::move(pids);
        p.problem = std::move(problem);
    }

    // Requires p.mu. Returns why it could not start, empty on success.
    static std::string start(pair_pipe& p) {
        try {
            p.pipe.start();
            p.uses = 0;
            publish(p, {});
            spdlog::debug("apertium {}: started {}", p.info.mode, to_string(p.pipe.commands()));
            return {};
        } catch (const std::exception& e) {
            spdlog::error("apertium {}: {}", p.info.mode, e.what());
            publish(p, e.what());
            return e.what();
        }
    }

    // Requires p.mu. Kills a pipeline that failed and starts a fresh one at once, so its
    // dictionaries load before the next caption arrives.
    static void restart_after_failure(pair_pipe& p, std::string_view why) {
        spdlog::warn("apertium {}: {}; restarting the pipeline", p.info.mode, why);
        p.pipe.stop();
        ++p.failure_restarts;
        start(p);
    }

    core::result<std::string> run_leg(pair_pipe& p, std::string_view text) {
        const std::string& mode = p.info.mode;
        std::lock_guard lock(p.mu);
        // The nonce travels as a superblank in a frame of its own and comes back unchanged;
        // the reply is whatever precedes it (see process_chain::exchange).
        const std::string nonce = "[/lt-nonce:" + nonce_prefix + std::to_string(++p.requests) + "]";
        const std::string request = deformat(text) + nonce + '\0';
        const std::string terminator = '\0' + nonce + '\0';
        for (int attempt = 0;; ++attempt) {
            // A stage killed between requests is found here, before the caption is lost.
            if (p.pipe.running() && p.pipe.has_exited_stage())
                restart_after_failure(p, "a stage exited");
            if (!p.pipe.running()) {
                if (auto why = start(p); !why.empty())
                    return core::make_error("apertium " + mode + " could not start: " + why);
            }

            auto reply = p.pipe.exchange(request, params.timeout, terminator);
            ++p.uses;
            if (reply.st == process_chain::status::ok) {
                if (p.uses >= params.max_uses) {
                    spdlog::info("apertium {}: {} requests served; restarting the pipeline", mode, p.uses);
                    p.pipe.stop();
                    start(p);
                }
                return reformat(reply.data);
            }

            if (reply.st == process_chain::status::timeout) {
                restart_after_failure(p, "timed out (" + reply.detail + ")");
                return core::make_error("apertium " + mode + " timed out after " +
                                        std::to_string(params.timeout.count()) + " ms");
            }
            restart_after_failure(p, reply.detail);
            // The pipeline died under this caption, most likely before it: try once more on
            // the fresh one. A caption that kills it again fails.
            if (reply.st == process_chain::status::closed && attempt == 0)
                continue;
            return core::make_error("apertium " + mode + " failed: " + reply.detail);
        }
    }
};

apertium_translator::apertium_translator(apertium_params params) : impl_(std::make_unique<impl>()) {
    impl_->params = std::move(params);
    impl_->nonce_prefix = std::to_string(std::random_device{}()) + "-";
    auto& p = impl_->params;
    p.pivot = to_iso639_1(p.pivot);
    if (p.max_uses == 0)
        p.max_uses = 1;

    std::error_code ec;
    if (!std::filesystem::is_directory(p.modes_dir, ec))
        throw std::runtime_error("Apertium is not installed: mode directory " + p.modes_dir.string() +
                                 " does not exist (install apertium and a pair, e.g. apertium-eng-spa)");

    mode_options options;
    options.generation_flag = p.mark_unknown ? "-g" : "-n";
    std::vector<std::string> skipped;
    for (auto& info : installed_pairs(p.modes_dir)) {
        try {
            auto commands = read_mode_file(info.mode_file, options);
            impl_->pipes.push_back(std::make_unique<pair_pipe>(std::move(info), std::move(commands)));
        } catch (const std::exception& e) {
            spdlog::warn("apertium: skipping {}: {}", info.mode, e.what());
            skipped.push_back(info.mode);
        }
    }
    if (impl_->pipes.empty())
        throw std::runtime_error("Apertium is not installed: no usable language pair in " +
                                 p.modes_dir.string() +
                                 (skipped.empty() ? std::string() : " (unreadable modes skipped)"));

    std::vector<pair_pipe*> legs;
    for (auto& pp : impl_->pipes)
        legs.push_back(pp.get());
    impl_->routes = build_routes(
        legs, [](pair_pipe* pp) -> const pair_info& { return pp->info; }, p.pivot);

    // Warm-up: spawning is quick; the stages load their dictionaries in the background.
    std::set<pair_pipe*> warm;
    for (const auto& code : p.warm_sources) {
        auto s = impl_->routes.find(to_iso639_1(code));
        if (s == impl_->routes.end())
            continue;
        for (const auto& [target, route] : s->second)
            warm.insert(route.begin(), route.end());
    }
    for (auto* pp : warm) {
        std::lock_guard lock(pp->mu);
        impl::start(*pp);
    }
}

apertium_translator::~apertium_translator() = default;

std::string apertium_translator::name() const { return "apertium"; }

std::vector<std::string> apertium_translator::targets(std::string_view source) const {
    std::vector<std::string> out;
    auto s = impl_->routes.find(to_iso639_1(source));
    if (s != impl_->routes.end())
        for (const auto& [target, route] : s->second)
            out.push_back(target);
    return out; // std::map keeps them sorted
}

core::result<std::string> apertium_translator::translate(std::string_view source, std::string_view target,
                                                         std::string_view text) {
    auto s = to_iso639_1(source), t = to_iso639_1(target);
    if (s == t)
        return core::make_error("apertium: source and target are both " + s);
    const auto* route = impl_->find_route(s, t);
    if (!route)
        return core::make_error("apertium has no route " + s + "→" + t);
    if (text.size() > impl_->params.max_input_bytes)
        return core::make_error("text too long for apertium (" + std::to_string(text.size()) +
                                " bytes, max " + std::to_string(impl_->params.max_input_bytes) + ")");
    if (text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos)
        return std::string();

    std::string current(text);
    for (auto* leg : *route) {
        auto r = impl_->run_leg(*leg, current);
        if (!r)
            return r;
        current = std::move(r).value();
    }
    return current;
}

std::string apertium_translator::state() const {
    std::vector<std::string> problems, restarts;
    for (const auto& p : impl_->pipes) {
        {
            std::lock_guard lock(p->info_mu);
            if (!p->problem.empty())
                problems.push_back(p->info.mode + " cannot start: " + p->problem);
        }
        if (auto n = p->failure_restarts.load())
            restarts.push_back(p->info.mode + " restarted " + times(n));
    }
    auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v)
            out += (out.empty() ? "" : ", ") + s;
        return out;
    };
    if (!problems.empty())
        return join(problems) + (restarts.empty() ? "" : " (" + join(restarts) + ")");
    return restarts.empty() ? "ok" : "ok (" + join(restarts) + ")";
}

std::vector<std::string> apertium_translator::route(std::string_view source, std::string_view target) const {
    std::vector<std::string> modes;
    if (const auto* r = impl_->find_route(to_iso639_1(source), to_iso639_1(target)))
        for (auto* leg : *r)
            modes.push_back(leg->info.mode);
    return modes;
}

std::vector<int> apertium_translator::pipeline_pids(std::string_view mode) const {
    auto* p = impl_->find_mode(mode);
    if (!p)
        return {};
    std::lock_guard lock(p->info_mu);
    return p->pids;
}

std::size_t apertium_translator::failure_restarts(std::string_view mode) const {
    auto* p = impl_->find_mode(mode);
    return p ? p->failure_restarts.load() : 0;
}

std::unique_ptr<translate::translator> make_apertium_translator(const apertium_params& params) {
    return std::make_unique<apertium_translator>(params);
}

std::string describe_languages(const apertium_params& params) {
    auto pairs = installed_pairs(params.modes_dir);
    std::ostringstream out;
    if (pairs.empty()) {
        out << "Apertium: no language pairs in " << params.modes_dir.string() << "\n";
        return out.str();
    }
    auto pivot = to_iso639_1(params.pivot);
    std::vector<const pair_info*> legs;
    for (const auto& p : pairs)
        legs.push_back(&p);
    auto routes = build_routes(
        legs, [](const pair_info* p) -> const pair_info& { return *p; }, pivot);

    auto label = [](const std::string& code) {
        auto name = language_name(code);
        return name.empty() ? code : code + " (" + std::string(name) + ")";
    };
    out << "Apertium language pairs in " << params.modes_dir.string() << " (pivot: " << pivot << ")\n";
    for (const auto& [source, targets] : routes) {
        out << "  " << label(source) << "\n";
        for (const auto& [target, route] : targets) {
            auto l = label(target);
            out << "    → " << l << std::string(l.size() < 24 ? 24 - l.size() : 1, ' ');
            if (route.size() == 1) {
                out << "direct: " << route[0]->mode;
            } else {
                out << "via " << pivot << ": ";
                for (std::size_t i = 0; i < route.size(); ++i)
                    out << (i ? " + " : "") << route[i]->mode;
            }
            out << "\n";
        }
    }
    return out.str();
}

} // namespace lt::translate::apertium
