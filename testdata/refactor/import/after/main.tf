locals {
  ids = {
    x = "id-x"
    y = "id-y"
  }
}

resource "terraform_data" "single" {
}

import {
  to = terraform_data.single
  id = "single-id"
}

resource "terraform_data" "each" {
  for_each = local.ids
}

import {
  for_each = local.ids
  to       = terraform_data.each[each.key]
  id       = each.value
}

# Imported, then updated in place to match the configuration.
resource "terraform_data" "updated" {
  input = "wanted"
}

import {
  to = terraform_data.updated
  id = "updated-id"
}

# An import into a resource of a child module.
module "m" {
  source = "./modules/m"
}

import {
  to = module.m.terraform_data.inner
  id = "inner-id"
}
