#include "aws/event_stream.hpp"
