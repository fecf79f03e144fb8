# Two module calls that use each other's outputs: module.a's "id" does not depend on its
# "peer" argument, and module.b's "label" does not depend on its "upstream" argument, so
# Terraform plans this without a cycle.
module "a" {
  source = "./modules/a"
  name   = "alpha"
  peer   = module.b[0].label
}

module "b" {
  source   = "./modules/b"
  count    = 2
  upstream = "${module.a.id}-${count.index}"
}

output "a_id" {
  value = module.a.id
}

output "b_seen" {
  value = module.b[*].seen
}

output "a_peer" {
  value = module.a.peer_seen
}
