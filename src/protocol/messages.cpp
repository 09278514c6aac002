#include "protocol/messages.hpp"

#include <nlohmann/json.hpp>

namespace lt::protocol {

using json = nlohmann::json;
using core::make_error;

namespace {

// Reads an optional string field; a present field of another type is an error.
core::result<std::optional<std::string>> opt_string(const json& data, const char* key) {
    auto it = data.find(key);
    if (it == data.end() || it->is_null())
        return std::optional<std::string>{};
    if (!it->is_string())
        return make_error(std::string("field '") + key + "' must be a string");
    return std::optional<std::string>{it->get<std::string>()};
}

core::result<std::string> req_string(const json& data, const char* key) {
    auto v = opt_string(data, key);
    if (!v)
        return make_error(v.error_message());
    if (!v.value())
        return make_error(std::string("missing field '") + key + "'");
    return *v.value();
}

core::result<bool> opt_bool(const json& data, const char* key, bool fallback) {
    auto it = data.find(key);
    if (it == data.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        return make_error(std::string("field '") + key + "' must be true or false");
    return it->get<bool>();
}

core::result<std::string> lang_field(const json& data, const char* key, std::string fallback) {
    auto v = opt_string(data, key);
    if (!v)
        return make_error(v.error_message());
    std::string lang = v.value() ? *v.value() : std::move(fallback);
    if (!is_language_code(lang))
        return make_error("invalid language code '" + lang + "'");
    return lang;
}

core::result<client_message> parse_new_text(const json& data) {
    new_text m;
    auto text = req_string(data, "text");
    if (!text)
        return make_error(text.error_message());
    m.text = std::move(text.value());
    auto ts = opt_string(data, "timestamp");
    auto key = opt_string(data, "api_key");
    auto id = opt_string(data, "id");
    auto partial = opt_bool(data, "partial", false);
    auto lang = lang_field(data, "lang", "en");
    for (auto* r : {&ts, &key, &id})
        if (!*r)
            return make_error(r->error_message());
    if (!partial)
        return make_error(partial.error_message());
    if (!lang)
        return make_error(lang.error_message());
    m.timestamp = ts.value().value_or("");
    m.api_key = key.value();
    m.id = id.value();
    m.partial = partial.value();
    m.lang = lang.value();
    if (auto it = data.find("source"); it != data.end() && !it->is_null()) {
        if (!it->is_string() || (*it != "spoken" && *it != "typed"))
            return make_error("field 'source' must be \"spoken\" or \"typed\"");
        m.typed = *it == "typed";
    }
    return client_message{std::move(m)};
}

core::result<client_message> parse_set_language(const json& data) {
    set_language m;
    auto lang = req_string(data, "lang");
    if (!lang)
        return make_error(lang.error_message());
    if (!is_language_code(lang.value()))
        return make_error("invalid language code '" + lang.value() + "'");
    m.lang = lang.value();
    if (auto it = data.find("since"); it != data.end() && !it->is_null()) {
        if (!it->is_number_unsigned())
            return make_error("field 'since' must be a non-negative integer");
        m.since = it->get<std::uint64_t>();
    }
    auto partials = opt_bool(data, "partials", false);
    if (!partials)
        return make_error(partials.error_message());
    m.partials = partials.value();
    if (auto it = data.find("history"); it != data.end() && !it->is_null()) {
        if (!it->is_boolean())
            return make_error("field 'history' must be a boolean");
        m.history = it->get<bool>();
    }
    return client_message{std::move(m)};
}

} // namespace

bool is_language_code(std::string_view code) {
    auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::size_t i = 0;
    while (i < code.size() && lower(code[i]))
        ++i;
    if (i < 2 || i > 3)
        return false;
    if (i == code.size())
        return true;
    if (code[i] != '-' || code.size() - i - 1 < 2 || code.size() - i - 1 > 8)
        return false;
    for (std::size_t j = i + 1; j < code.size(); ++j) {
        char c = code[j];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

core::result<client_message> parse_client_message(std::string_view frame) {
    json j = json::parse(frame, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        return make_error("invalid JSON");
    if (!j.is_object())
        return make_error("a message must be a JSON object");
    auto type_it = j.find("type");
    if (type_it == j.end() || !type_it->is_string())
        return make_error("missing message type");
    static const json empty = json::object();
    const json* data = &empty;
    if (auto d = j.find("data"); d != j.end() && !d->is_null()) {
        if (!d->is_object())
            return make_error("field 'data' must be an object");
        data = &*d;
    }
    const auto& type = type_it->get_ref<const std::string&>();
    if (type == "new_text")
        return parse_new_text(*data);
    if (type == "set_language")
        return parse_set_language(*data);
    if (type == "generate_token") {
        auto key = opt_string(*data, "api_key");
        if (!key)
            return make_error(key.error_message());
        return client_message{generate_token{key.value()}};
    }
    if (type == "request_translation") {
        request_translation m;
        auto text = req_string(*data, "text");
        if (!text)
            return make_error(text.error_message());
        auto lang = lang_field(*data, "lang", "");
        if (!lang)
            return make_error(lang.error_message());
        auto source = lang_field(*data, "source", "en");
        if (!source)
            return make_error(source.error_message());
        auto key = opt_string(*data, "api_key");
        if (!key)
            return make_error(key.error_message());
        m.api_key = key.value();
        m.text = std::move(text.value());
        m.lang = lang.value();
        m.source = source.value();
        return client_message{std::move(m)};
    }
    if (type == "correct_text") {
        correct_text m;
        auto it = data->find("seq");
        if (it == data->end() || !it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
            return make_error("field 'seq' must be the positive seq of a final");
        m.seq = it->get<std::uint64_t>();
        auto text = req_string(*data, "text");
        if (!text)
            return make_error(text.error_message());
        auto key = opt_string(*data, "api_key");
        if (!key)
            return make_error(key.error_message());
        m.text = std::move(text.value());
        m.api_key = key.value();
        return client_message{std::move(m)};
    }
    if (type == "set_publishing") {
        set_publishing m;
        auto it = data->find("paused");
        if (it == data->end() || !it->is_boolean())
            return make_error("field 'paused' must be true or false");
        m.paused = it->get<bool>();
        auto key = opt_string(*data, "api_key");
        if (!key)
            return make_error(key.error_message());
        m.api_key = key.value();
        return client_message{std::move(m)};
    }
    return make_error("unknown message type '" + type + "'");
}

namespace {
std::string envelope(const char* type, json data) {
    json j{{"type", type}, {"data", std::move(data)}};
    // Replace invalid UTF-8 rather than throw: text comes from clients and backends.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
} // namespace

std::string serialize(const connection_status& m) {
    json d{{"status", "connected"}, {"aws_available", m.aws_available}, {"translator", m.translator},
           {"source", m.source},    {"languages", m.languages},         {"server_id", m.server_id},
           {"room", m.room}};
    if (!m.routes.empty())
        d["routes"] = m.routes;
    if (!m.engines.empty()) {
        d["engines"] = json::array();
        for (const auto& [name, healthy] : m.engines)
            d["engines"].push_back({{"name", name}, {"healthy", healthy}});
    }
    return envelope("connection_status", std::move(d));
}

std::string serialize_language_set(std::string_view lang) {
    return envelope("language_set", {{"lang", lang}});
}

std::string serialize(const caption& m) {
    json d{{"text", m.text}, {"original", m.original}, {"timestamp", m.timestamp},    {"lang", m.lang},
           {"id", m.id},     {"partial", m.partial},   {"source_lang", m.source_lang}};
    if (m.seq)
        d["seq"] = *m.seq;
    if (m.error)
        d["error"] = *m.error;
    if (!m.engine.empty())
        d["engine"] = m.engine;
    if (m.corrected)
        d["corrected"] = true;
    if (m.typed)
        d["source"] = "typed";
    if (m.pending)
        d["pending"] = *m.pending;
    return envelope("translated_text", std::move(d));
}

std::string serialize(const translation_result& m) {
    json d{{"original", m.original}, {"translated", m.translated}, {"lang", m.lang}};
    if (m.error)
        d["error"] = *m.error;
    return envelope("translation_result", std::move(d));
}

std::string serialize_text_ack(std::string_view id, std::uint64_t seq) {
    return envelope("text_ack", {{"id", id}, {"seq", seq}});
}

std::string serialize_publishing(bool paused) { return envelope("publishing", {{"paused", paused}}); }

std::string serialize_error(std::string_view message, std::string_view code) {
    return envelope("error", {{"message", message}, {"code", code}});
}

namespace {
json token_data(const token_response& m) {
    if (!m.credentials)
        return json{{"status", "error"}, {"error", m.error}};
    const auto& c = *m.credentials;
    json creds{{"AccessKeyId", c.access_key_id},
               {"SecretAccessKey", c.secret_access_key},
               {"SessionToken", c.session_token},
               {"Expiration", c.expiration}};
    return json{{"status", "success"}, {"credentials", std::move(creds)}, {"region", m.region}};
}
} // namespace

std::string serialize_token_data(const token_response& m) {
    return token_data(m).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string serialize(const token_response& m) {
    json d = token_data(m);
    if (!m.credentials && !m.code.empty())
        d["code"] = m.code;
    return envelope("token_response", std::move(d));
}

std::string serialize_token_response(std::string_view data_json, std::string_view code) {
    auto d = json::parse(data_json, nullptr, false);
    if (!d.is_object())
        d = json{{"status", "error"}, {"error", "internal error: bad token answer"}};
    if (!code.empty())
        d["code"] = code;
    return envelope("token_response", std::move(d));
}

std::string serialize(const new_text& m) {
    json d{{"text", m.text}, {"timestamp", m.timestamp}, {"lang", m.lang}};
    if (m.api_key)
        d["api_key"] = *m.api_key;
    if (m.id)
        d["id"] = *m.id;
    if (m.partial)
        d["partial"] = true;
    if (m.typed)
        d["source"] = "typed";
    return envelope("new_text", std::move(d));
}

std::string serialize(const generate_token& m) {
    json d = json::object();
    if (m.api_key)
        d["api_key"] = *m.api_key;
    return envelope("generate_token", std::move(d));
}

core::result<token_response> parse_token_response(std::string_view frame) {
    auto j = json::parse(frame, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
        return make_error("the server sent a frame that is not a protocol message");
    const auto& type = j["type"].get_ref<const std::string&>();
    if (type != "token_response")
        return make_error("unexpected '" + type + "' frame");
    static const json empty = json::object();
    const json& d = j.contains("data") && j["data"].is_object() ? j["data"] : empty;
    auto str = [](const json& o, const char* key) {
        auto it = o.find(key);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    token_response r;
    if (str(d, "status") != "success") {
        r.error = str(d, "error");
        r.code = str(d, "code");
        return r;
    }
    const json& c = d.contains("credentials") && d["credentials"].is_object() ? d["credentials"] : empty;
    r.credentials = token_credentials{str(c, "AccessKeyId"), str(c, "SecretAccessKey"),
                                      str(c, "SessionToken"), str(c, "Expiration")};
    r.region = str(d, "region");
    return r;
}

core::result<speaker_reply> parse_speaker_reply(std::string_view frame) {
    auto j = json::parse(frame, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
        return make_error("the server sent a frame that is not a protocol message");
    const auto& type = j["type"].get_ref<const std::string&>();
    static const json empty = json::object();
    const json& d = j.contains("data") && j["data"].is_object() ? j["data"] : empty;
    speaker_reply r;
    if (type == "text_ack") {
        auto id = req_string(d, "id");
        if (!id)
            return make_error("text_ack: " + id.error_message());
        r.type = speaker_reply::kind::ack;
        r.id = std::move(id).value();
        if (d.contains("seq") && d["seq"].is_number_unsigned())
            r.seq = d["seq"].get<std::uint64_t>();
    } else if (type == "error") {
        r.type = speaker_reply::kind::error;
        auto message = opt_string(d, "message");
        auto code = opt_string(d, "code");
        r.message = message && message.value() ? *message.value() : "(no message)";
        r.code = code && code.value() ? *code.value() : "";
    } else if (type == "connection_status") {
        r.type = speaker_reply::kind::status;
        auto id = opt_string(d, "server_id");
        r.server_id = id && id.value() ? *id.value() : "";
    } else if (type == "publishing") {
        r.type = speaker_reply::kind::publishing;
        r.paused = d.is_object() && d.value("paused", false);
    }
    return r;
}

} // namespace lt::protocol
