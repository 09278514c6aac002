#include "translate/aws/aws_translator.hpp"

#include "translate/engine_status.hpp"
#include "translate/start_probe.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>


namespace lt::translate::aws {

namespace {

class aws_translator : public translate::translator {
public:
    aws_translator(std::unique_ptr<lt::aws::service_client> client, bool auto_source, std::string terminology,
                   bool probe)
        : client_(std::move(client)), auto_source_(auto_source), terminology_(std::move(terminology)) {
        if (probe)
            probe_ =
                start_probe("AWS Translate reachable at " + client_->where().url(),
                            "AWS Translate probe failed", [this] { return translate("en", "es", "Hello"); });
    }

    std::string name() const override { return "aws"; }

    // AWS Translate covers every language the page offers (75 in all).
    std::vector<std::string> targets(std::string_view source) const override {
        return page_languages_but(source);
    }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        nlohmann::json body{{"Text", text},
                            {"SourceLanguageCode", auto_source_ ? std::string_view("auto") : source},
                            {"TargetLanguageCode", target}};
        if (!terminology_.empty())
            body["TerminologyNames"] = {terminology_};
        auto answer = client_->call_json("AWSShineFrontendService_20170701.TranslateText",
                                         body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        if (!answer) {
            note_failure(answer.error_message());
            return core::make_error(answer.error_message());
        }
        auto j = nlohmann::json::parse(answer.value(), nullptr, false);
        if (!j.is_object() || !j.contains("TranslatedText") || !j["TranslatedText"].is_string()) {
            std::string why = "AWS Translate answered without TranslatedText";
            note_failure(why);
            return core::make_error(why);
        }
        status_.succeeded();
        return j["TranslatedText"].get<std::string>();
    }

    std::string state() const override { return status_.state(); }

    bool available() const override { return status_.available(); }

    std::size_t parallelism() const override { return 32; }

private:
    void note_failure(const std::string& why) {
        // Throttling and AWS's own transient faults say nothing about whether AWS works for
        // us; credentials, permissions and an unreachable endpoint do.
        static const char* transient[] = {"Throttl",        "TooManyRequests", "LimitExceeded",
                                          "InternalServer", "InternalFailure", "ServiceUnavailable"};
        status_.failed(why, std::none_of(std::begin(transient), std::end(transient),
                                         [&](const char* t) { return why.find(t) != std::string::npos; }));
    }

    std::unique_ptr<lt::aws::service_client> client_;
    bool auto_source_;
    std::string terminology_;
    engine_status status_;
    start_probe probe_; // last: joined before the rest goes
};

} // namespace

core::result<std::shared_ptr<translate::translator>> make_aws_translator(aws_translator_options opts) {
    if (opts.region.empty())
        opts.region = lt::aws::region_from_env();
    if (opts.region.empty())
        return core::make_error("AWS Translate needs a region: set AWS_REGION (or AWS_DEFAULT_REGION, "
                                "or region in the ~/.aws/config profile)");
    std::vector<std::string> warnings;
    auto ep = lt::aws::resolve_endpoint(lt::aws::translate_service(), opts.region, &warnings);
    for (const auto& w : warnings)
        spdlog::warn("{}", w);
    if (!ep)
        return core::make_error(ep.error_message());
    if (!opts.credentials)
        opts.credentials = lt::aws::make_default_chain();
    spdlog::info("AWS Translate at {} (region {}, source {})", ep.value().url(), opts.region,
                 opts.auto_source ? "auto-detected" : "the caption's language");
    auto client = std::make_unique<lt::aws::service_client>(
        ep.value(), opts.region, lt::aws::translate_service(), opts.credentials, opts.client);
    return std::shared_ptr<translate::translator>(
        std::make_shared<aws_translator>(std::move(client), opts.auto_source, opts.terminology, opts.probe));
}

} // namespace lt::translate::aws
