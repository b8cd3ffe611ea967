benchmark --endpoints=<3 members> --conns=100 --clients=1000 watch-latency --total=1000 --put-rate=100
