#include "stt/openai/wire.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <random>

namespace lt::stt::openai {
namespace {

void put_le(std::string& out, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void add_field(std::string& body, const std::string& boundary, const char* name, const std::string& value) {
    body += "--" + boundary + "\r\n";
    body += std::string("Content-Disposition: form-data; name=\"") + name + "\"\r\n\r\n";
    body += value + "\r\n";
}

} // namespace

std::string wav_file(std::span<const std::int16_t> pcm) {
    constexpr std::uint32_t rate = 16000, channels = 1, bits = 16;
    const auto data_bytes = static_cast<std::uint32_t>(pcm.size() * 2);
    std::string out;
    out.reserve(44 + data_bytes);
    out += "RIFF";
    put_le(out, 36 + data_bytes, 4);
    out += "WAVEfmt ";
    put_le(out, 16, 4); // fmt chunk size
    put_le(out, 1, 2);  // PCM
    put_le(out, channels, 2);
    put_le(out, rate, 4);
    put_le(out, rate * channels * bits / 8, 4); // byte rate
    put_le(out, channels * bits / 8, 2);        // block align
    put_le(out, bits, 2);
    out += "data";
    put_le(out, data_bytes, 4);
    for (auto s : pcm)
        put_le(out, static_cast<std::uint16_t>(s), 2);
    return out;
}

std::string multipart_body(const transcription_request& req, const std::string& wav,
                           const std::string& boundary) {
    std::string body;
    body.reserve(wav.size() + 1024);
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"file\"; filename=\"utterance.wav\"\r\n";
    body += "Content-Type: audio/wav\r\n\r\n";
    body += wav;
    body += "\r\n";
    add_field(body, boundary, "model", req.model);
    add_field(body, boundary, "response_format", "json");
    if (!req.language.empty())
        add_field(body, boundary, "language", req.language);
    if (!req.prompt.empty())
        add_field(body, boundary, "prompt", req.prompt);
    body += "--" + boundary + "--\r\n";
    return body;
}

std::string multipart_content_type(const std::string& boundary) {
    return "multipart/form-data; boundary=" + boundary;
}

std::string new_boundary() {
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::random_device rd;
    std::mt19937 rng(rd());
    std::uniform_int_distribution<int> pick(0, 35);
    std::string b = "lt-boundary-";
    for (int i = 0; i < 32; ++i)
        b.push_back(digits[pick(rng)]);
    return b;
}

answer parse_answer(int status, std::string_view body) {
    answer a;
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (status >= 200 && status < 300) {
        if (j.is_object() && j.contains("text") && j["text"].is_string()) {
            a.type = answer::kind::text;
            std::string t = j["text"].get<std::string>();
            auto b = t.find_first_not_of(" \t\r\n");
            auto e = t.find_last_not_of(" \t\r\n");
            a.text = b == std::string::npos ? "" : t.substr(b, e - b + 1);
            return a;
        }
        a.message = "HTTP " + std::to_string(status) + ": the answer is not JSON with a \"text\" field";
        return a;
    }
    // OpenAI's error shape: {"error": {"message", "type", "code"}}; other servers: {"detail"}.
    std::string what;
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        const auto& e = j["error"];
        what = e.value("message", std::string());
        if (e.contains("code") && e["code"].is_string())
            what += " (" + e["code"].get<std::string>() + ")";
    } else if (j.is_object() && j.contains("detail") && j["detail"].is_string()) {
        what = j["detail"].get<std::string>();
    } else {
        what = std::string(body.substr(0, 200));
        for (auto& c : what)
            if (c == '\n' || c == '\r')
                c = ' ';
    }
    a.message = "HTTP " + std::to_string(status) + (what.empty() ? "" : ": " + what);
    if (status == 401 || status == 403)
        a.type = answer::kind::auth;
    else if (status == 408 || status == 429 || status >= 500)
        a.type = answer::kind::retry;
    else
        a.type = answer::kind::rejected;
    return a;
}

std::string iso639_1(std::string_view lang) {
    std::string out;
    for (char c : lang) {
        if (c == '-' || c == '_')
            break;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

} // namespace lt::stt::openai
