moved {
  from = terraform_data.a
  to   = terraform_data.b
}

moved {
  from = module.old
  to   = module.new["x"]
}

moved {
  from = terraform_data.a[0]
  to   = terraform_data.b["k"]
}

# Errors: a resource into an instance, across types, onto itself, a module into a resource,
# a data source.
moved {
  from = terraform_data.a
  to   = terraform_data.b[0]
}

moved {
  from = terraform_data.a
  to   = null_resource.a
}

moved {
  from = terraform_data.a
  to   = terraform_data.a
}

moved {
  from = module.m
  to   = terraform_data.a
}

moved {
  from = data.terraform_data.a
  to   = data.terraform_data.b
}

import {
  to = terraform_data.b
  id = "x"
}

import {
  for_each = { p = "1", q = "2" }
  to       = terraform_data.e[each.key]
  id       = each.value
}

# Errors: no id, an address that is not a resource.
import {
  to = terraform_data.b
}

import {
  to = var.x
  id = "y"
}

removed {
  from = terraform_data.gone
}

removed {
  from = module.old

  lifecycle {
    destroy = false
  }
}

# Error: an instance key.
removed {
  from = terraform_data.gone[0]
}

check "c" {
  data "terraform_remote_state" "s" {
    backend = "local"
  }

  assert {
    condition     = terraform_data.b.id != ""
    error_message = "x"
  }
}

# Errors: no assert; two data blocks; a duplicate name.
check "empty" {
}

check "two" {
  data "terraform_remote_state" "a" {
  }

  data "terraform_remote_state" "b" {
  }

  assert {
    condition     = true
    error_message = "x"
  }
}

check "c" {
  assert {
    condition     = true
    error_message = "x"
  }
}

resource "terraform_data" "b" {
  connection {
    host = "x"
  }
}
