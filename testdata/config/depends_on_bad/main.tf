resource "terraform_data" "a" {
  depends_on = ["x"]
}

resource "terraform_data" "b" {
  depends_on = terraform_data.a
}

resource "terraform_data" "c" {
  depends_on = [
    terraform_data.a.id,
    upper("x"),
    data.local_file,
    "terraform_data.b",
    var.v,
    module.m,
    count.index,
    terraform_data.a[0],
    terraform_data.a[*].id,
  ]
}

output "o" {
  value      = 1
  depends_on = [local]
}
