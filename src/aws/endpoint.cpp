#include "aws/endpoint.hpp"
