d = "from b.auto.tfvars"
e = { nested = [1, 2] }
