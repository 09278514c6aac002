#include "aws/credentials.hpp"
