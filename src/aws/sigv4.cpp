#include "aws/sigv4.hpp"
