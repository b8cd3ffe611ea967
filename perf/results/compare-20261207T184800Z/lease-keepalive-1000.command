benchmark --endpoints=<3 members> --conns=100 --clients=1000 lease-keepalive --total=40000
