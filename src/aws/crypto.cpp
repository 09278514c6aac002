#include "aws/crypto.hpp"
