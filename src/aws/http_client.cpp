#include "aws/http_client.hpp"
