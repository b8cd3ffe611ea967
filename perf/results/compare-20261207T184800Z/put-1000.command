benchmark --endpoints=<3 members> --conns=100 --clients=1000 put --key-size=8 --sequential-keys --val-size=256 --total=40000
