moved {
  from = a.b
  to   = a.c
}

import {
  to = terraform_data.a
  id = "x"
}

removed {
  from = terraform_data.b
}

check "c" {
  assert {
    condition     = true
    error_message = "x"
  }
}

resource "terraform_data" "a" {
  connection {
    host = "x"
  }
}
