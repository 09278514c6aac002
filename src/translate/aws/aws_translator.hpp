// AWS Translate (TranslateText, JSON 1.1) as a translation backend. Calls block on the
// network, so the translation_service runs one per language at once (parallelism()), and
// a throttled or failing call fails only its own language. Verified against AWS's
// published API and a local fake (tools/fake_aws.py), not against live AWS.
// Built on the shared AWS layer (src/aws/, namespace lt::aws); stands beside the other
// translators, and translate/make_translator.hpp builds it for --translator aws.
#pragma once

#include "aws/credentials.hpp"
#include "aws/http_client.hpp"
#include "translate/translator.hpp"

#include <memory>
#include <string>

namespace lt::translate::aws {

struct aws_translator_options {
    std::string region; // empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's region
    std::shared_ptr<lt::aws::credentials_provider> credentials; // null: the default chain
    bool auto_source = false; // SourceLanguageCode "auto" instead of the caption's language
    // A custom terminology imported into AWS Translate (TerminologyNames); empty: none.
    std::string terminology;
    lt::aws::client_options client;
    bool probe = true; // one call at start decides connection_status.aws_available
};

// Fails (with what to set) when no region is known or an endpoint override is malformed.
// Missing or wrong credentials show up in the probe and in each call's error.
core::result<std::shared_ptr<translate::translator>> make_aws_translator(aws_translator_options opts);

} // namespace lt::translate::aws
