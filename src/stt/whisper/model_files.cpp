#include "stt/whisper/model_files.hpp"

#include "net/connect.hpp"
#include "net/endpoint.hpp"
#include "net/reason.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>

namespace lt::stt::whisper {

namespace fs = std::filesystem;

const std::vector<known_model>& known_models() {
    // whisper.cpp 1.9.1, models/README.md.
    static const std::vector<known_model> models = {
        {"tiny.en", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df"},
        {"tiny", "bd577a113a864445d4c299885e0cb97d4ba92b5f"},
        {"base.en", "137c40403d78fd54d454da0f9bd998f78703390c"},
        {"base", "465707469ff3a37a2b9b8d8f89f2f99de7299dac"},
        {"small.en", "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022"},
        {"small", "55356645c2b361a969dfd0ef2c5a50d530afd8d5"},
    };
    return models;
}

core::result<std::string> default_cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "live-translate" / "models").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".cache" / "live-translate" / "models").string();
    return core::make_error("no folder for whisper models: set XDG_CACHE_HOME or HOME, or give --model-dir");
}

std::string model_file_name(std::string_view name) { return "ggml-" + std::string(name) + ".bin"; }

core::result<std::string> check_model_file(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return core::make_error("whisper model file " + path + " does not exist");
    if (fs::is_directory(path, ec))
        return core::make_error("whisper model " + path + " is a folder, not a ggml model file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return core::make_error("cannot read whisper model file " + path);
    // The magic and the 11 int32 hyper-parameters, little-endian.
    std::array<unsigned char, 48> b{};
    in.read(reinterpret_cast<char*>(b.data()), b.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    auto u32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
               static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
    };
    if (got < 4 || u32(0) != ggml_magic)
        return core::make_error("whisper model file " + path +
                                " is not a ggml model (it does not start with the ggml magic 0x67676d6c)");
    if (got < b.size())
        return core::make_error("whisper model file " + path +
                                " is cut short (it ends inside the ggml header)");
    // whisper.cpp aborts the process (GGML_ASSERT) on a weight type it does not know, so a
    // damaged header is refused here. Types: f32, f16, q4_0, q4_1, q8_0, q5_0, q5_1, q2_k-q6_k.
    static const char* names[] = {"n_vocab",       "n_audio_ctx", "n_audio_state", "n_audio_head",
                                  "n_audio_layer", "n_text_ctx",  "n_text_state",  "n_text_head",
                                  "n_text_layer",  "n_mels",      "ftype"};
    for (std::size_t i = 0; i < 10; ++i) {
        const auto v = static_cast<std::int32_t>(u32(4 + 4 * i));
        if (v <= 0 || v > 1'000'000)
            return core::make_error("whisper model file " + path + " has a damaged ggml header (" + names[i] +
                                    " = " + std::to_string(v) + ")");
    }
    const auto ftype = static_cast<std::int32_t>(u32(44));
    const int wtype = ftype % 1000; // the rest is the quantization version
    const bool known = ftype >= 0 && (wtype <= 3 || (wtype >= 7 && wtype <= 14));
    if (!known)
        return core::make_error("whisper model file " + path + " has a damaged ggml header (ftype = " +
                                std::to_string(ftype) + ", not a weight type whisper.cpp reads)");
    return path;
}

core::result<std::string> sha1_of_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return core::make_error("cannot read " + path + " to check its SHA-1");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0)
            EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad())
        return core::make_error("error reading " + path + " to check its SHA-1");
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

namespace {

// A progress bar on standard error, redrawn when the percentage changes.
std::function<void(std::uint64_t, std::uint64_t)> terminal_progress(const std::string& file) {
    if (!isatty(STDERR_FILENO))
        return {};
    auto last = std::make_shared<int>(-1);
    return [file, last](std::uint64_t done, std::uint64_t total) {
        const double mib = 1024.0 * 1024.0;
        if (total == 0) {
            std::fprintf(stderr, "\r%s  %.1f MiB", file.c_str(), static_cast<double>(done) / mib);
            return;
        }
        const int pct = static_cast<int>(done * 100 / total);
        if (pct == *last)
            return;
        *last = pct;
        const int width = 30, filled = pct * width / 100;
        std::fprintf(stderr, "\r%s [%s%s] %3d%%  %.1f / %.1f MiB", file.c_str(),
                     std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), pct,
                     static_cast<double>(done) / mib, static_cast<double>(total) / mib);
        if (done >= total)
            std::fputc('\n', stderr);
    };
}

// What one GET answered: a redirect to follow, or the body written.
struct fetch_result {
    std::optional<std::string> redirect;
};

// Reads "bytes START-END/TOTAL" (or "bytes */TOTAL"): START and TOTAL.
std::pair<std::optional<std::uint64_t>, std::optional<std::uint64_t>>
parse_content_range(std::string_view v) {
    std::pair<std::optional<std::uint64_t>, std::optional<std::uint64_t>> out;
    if (v.rfind("bytes ", 0) != 0)
        return out;
    v.remove_prefix(6);
    try {
        if (v[0] != '*')
            out.first = std::stoull(std::string(v.substr(0, v.find('-'))));
        if (auto slash = v.find('/'); slash != std::string_view::npos && v.substr(slash + 1) != "*")
            out.second = std::stoull(std::string(v.substr(slash + 1)));
    } catch (const std::exception&) {
        out = {};
    }
    return out;
}

class download_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One GET of `ep` appending to `part` (Range from its size). Throws download_error or a
// system_error from the network.
template <class Stream>
asio::awaitable<fetch_result> fetch(Stream& stream, const net::endpoint& ep, const std::string& part,
                                    const model_options& opts,
                                    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    net::connect_options co;
    co.connect_timeout = co.handshake_timeout = opts.timeout;
    co_await net::async_connect(stream, ep, co);

    std::error_code fec;
    std::uint64_t have = fs::exists(part, fec) ? fs::file_size(part, fec) : 0;
    http::request<http::empty_body> req{http::verb::get, ep.target.empty() ? "/" : ep.target, 11};
    req.set(http::field::host, ep.host_header());
    req.set(http::field::user_agent, "live-translate");
    if (have > 0)
        req.set(http::field::range, "bytes=" + std::to_string(have) + "-");
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(opts.timeout);
    co_await http::async_write(stream, req, asio::use_awaitable);

    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max()); // models are hundreds of MiB
    co_await http::async_read_header(stream, buf, parser, asio::use_awaitable);
    const auto& res = parser.get();
    const auto status = res.result_int();
    if (status >= 300 && status < 400 && status != 304) {
        auto loc = res[http::field::location];
        if (loc.empty())
            throw download_error("HTTP " + std::to_string(status) + " without a Location");
        co_return fetch_result{std::string(loc)};
    }
    bool append = false;
    std::optional<std::uint64_t> total;
    if (status == 206) {
        auto [start, size] = parse_content_range(std::string(res[http::field::content_range]));
        if (!start || *start != have)
            throw download_error("the server resumed at a different byte than asked (Content-Range: " +
                                 std::string(res[http::field::content_range]) + ")");
        append = true;
        total = size;
    } else if (status == 416 && have > 0) {
        // The partial file is as long as the whole (or longer): check it as it is.
        auto [start, size] = parse_content_range(std::string(res[http::field::content_range]));
        if (size && *size == have)
            co_return fetch_result{};
        fs::remove(part, fec);
        throw download_error(
            "the server refused to resume the partial file (HTTP 416); it was deleted, try again");
    } else if (status != 200) {
        throw download_error("HTTP " + std::to_string(status) + " " + std::string(res.reason()));
    }
    if (!append)
        have = 0;
    if (!total && parser.content_length())
        total = have + *parser.content_length();

    std::ofstream out(part, append ? std::ios::binary | std::ios::app : std::ios::binary | std::ios::trunc);
    if (!out)
        throw download_error("cannot write " + part);
    std::vector<char> chunk(1 << 16);
    if (progress)
        progress(have, total.value_or(0));
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        lowest.expires_after(opts.timeout);
        boost::system::error_code ec;
        co_await http::async_read_some(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::need_buffer)
            ec = {};
        const auto n = chunk.size() - parser.get().body().size;
        out.write(chunk.data(), static_cast<std::streamsize>(n));
        have += n;
        if (n > 0 && progress)
            progress(have, total.value_or(0));
        if (ec) {
            out.close();
            throw download_error("the transfer stopped after " + std::to_string(have) +
                                 (total ? " of " + std::to_string(*total) : std::string()) + " bytes (" +
                                 net::reason(ec) + "); run again to resume it");
        }
    }
    out.close();
    if (!out)
        throw download_error("cannot write " + part + " (disk full?)");
    if (total && have != *total)
        throw download_error("the transfer ended after " + std::to_string(have) + " of " +
                             std::to_string(*total) + " bytes; run again to resume it");
    co_return fetch_result{};
}

// Downloads `url` into `part`, following up to 5 redirects. Returns an error message or "".
std::string download(std::string url, const std::string& part, const model_options& opts,
                     const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    for (int hop = 0; hop < 6; ++hop) {
        auto ep = net::parse_url(url);
        if (!ep)
            return "bad URL " + url + ": " + ep.error_message();
        if (ep.value().scheme != "http" && ep.value().scheme != "https")
            return "bad URL " + url + ": not http or https";
        asio::io_context ioc;
        std::optional<fetch_result> got;
        std::string failure;
        auto finished = [&](std::exception_ptr e, fetch_result r) {
            if (!e) {
                got = std::move(r);
                return;
            }
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                failure = net::reason(ex);
            }
        };
        try {
            if (ep.value().tls()) {
                auto tls = net::make_tls_context(opts.ca_file);
                net::tls_stream stream(ioc, tls);
                asio::co_spawn(ioc, fetch(stream, ep.value(), part, opts, progress), finished);
                ioc.run();
            } else {
                net::tcp_stream stream(ioc);
                asio::co_spawn(ioc, fetch(stream, ep.value(), part, opts, progress), finished);
                ioc.run();
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!got)
            return failure.empty() ? "no answer" : failure;
        if (!got->redirect)
            return {};
        // A relative Location is resolved against the scheme and authority of this URL.
        const auto& loc = *got->redirect;
        url = loc.find("://") != std::string::npos
                  ? loc
                  : ep.value().scheme + "://" + ep.value().host_header() + loc;
    }
    return "too many redirects";
}

const known_model* find_model(const std::vector<known_model>& models, std::string_view name) {
    auto it = std::find_if(models.begin(), models.end(), [&](const auto& m) { return m.name == name; });
    return it == models.end() ? nullptr : &*it;
}

} // namespace

core::result<std::string> resolve_model(const model_options& opts) {
    const auto& models = opts.models.empty() ? known_models() : opts.models;
    const auto* named = find_model(models, opts.model);
    if (!named) {
        std::error_code ec;
        const bool looks_like_name = opts.model.find('/') == std::string::npos &&
                                     opts.model.find(".bin") == std::string::npos &&
                                     !fs::exists(opts.model, ec);
        if (opts.model.empty() || looks_like_name) {
            std::string names;
            for (const auto& m : models)
                names += (names.empty() ? "" : ", ") + m.name;
            return core::make_error("unknown whisper model '" + opts.model + "' (--model): give one of " +
                                    names + " or the path of a ggml model file");
        }
        return check_model_file(opts.model);
    }

    std::string dir = opts.model_dir;
    if (dir.empty()) {
        auto d = default_cache_dir();
        if (!d)
            return d;
        dir = d.value();
    }
    const auto file = (fs::path(dir) / model_file_name(named->name)).string();
    std::error_code ec;
    if (fs::exists(file, ec))
        return check_model_file(file);

    std::string base = opts.base_url;
    if (base.empty()) {
        const char* env = std::getenv("LT_WHISPER_MODEL_URL");
        base = env && *env ? env : std::string(default_model_url);
    }
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    const auto url = base + "/" + model_file_name(named->name);
    const auto by_hand = ". To fetch it by hand: curl -L -o '" + file + "' " + url + " (SHA-1 " +
                         named->sha1 + "), or give --model the path of a model file";

    fs::create_directories(dir, ec);
    if (ec)
        return core::make_error("cannot create the whisper model folder " + dir + ": " + ec.message() +
                                by_hand);
    const auto part = file + ".part";
    auto progress = opts.progress ? opts.progress : terminal_progress(model_file_name(named->name));
    spdlog::info("whisper: downloading model {} from {} to {}", named->name, url, file);
    if (auto err = download(url, part, opts, progress); !err.empty())
        return core::make_error("cannot download whisper model " + named->name + " from " + url + ": " + err +
                                by_hand);

    auto sha = sha1_of_file(part);
    if (!sha)
        return sha;
    if (sha.value() != named->sha1) {
        fs::remove(part, ec);
        return core::make_error("the downloaded whisper model " + named->name + " from " + url +
                                " has SHA-1 " + sha.value() + ", expected " + named->sha1 +
                                "; the file was deleted" + by_hand);
    }
    if (auto ok = check_model_file(part); !ok) {
        fs::remove(part, ec);
        return ok;
    }
    fs::rename(part, file, ec);
    if (ec)
        return core::make_error("cannot rename " + part + " to " + file + ": " + ec.message());
    spdlog::info("whisper: model {} saved in {}", named->name, file);
    return file;
}

std::string smaller_cached_model(const model_options& opts) {
    const auto& models = opts.models.empty() ? known_models() : opts.models;
    if (!find_model(models, opts.model))
        return {};
    static const char* const sizes[] = {"small", "base", "tiny"};
    const auto dot = opts.model.find('.');
    const std::string size = opts.model.substr(0, dot);
    const std::string kind = dot == std::string::npos ? "" : opts.model.substr(dot);
    std::string dir = opts.model_dir;
    if (dir.empty()) {
        auto d = default_cache_dir();
        if (!d)
            return {};
        dir = d.value();
    }
    bool smaller = false;
    for (const char* s : sizes) {
        if (smaller && find_model(models, s + kind)) {
            const auto file = (fs::path(dir) / model_file_name(s + kind)).string();
            if (check_model_file(file))
                return file;
        }
        smaller = smaller || size == s;
    }
    return {};
}

} // namespace lt::stt::whisper
