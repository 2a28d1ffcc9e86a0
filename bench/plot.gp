# plot.gp - bench/report.py's picture: every configuration relative to plain forwarding, per
# workload (1.0 = as fast as no firewall; higher is better, latency included: its bar is
# plain p50 / this p50). Error bars: the slowest and fastest run of the configuration against
# plain's median.
#
#   gnuplot -e "datafile='x.dat'; outfile='x.png'; nconfigs=5; subtitle='...'; colors='...'" \
#           bench/plot.gp
#
# The data file: a header line, then one line per workload:
#   workload  "config 1" lo1 hi1  "config 2" lo2 hi2 ...

set terminal pngcairo size 1200,640 enhanced font "DejaVu Sans,11"
set output outfile
set title "Throughput and latency through the gateway, relative to plain forwarding\n{/*0.8 ".subtitle."}"
set ylabel "relative to plain forwarding (higher is better)"
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set key outside right bottom vertical Left reverse noenhanced
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set xtics nomirror noenhanced
set ytics nomirror
set border 3
# 1.0: the physical limit here, and tcfw's target (at least as fast as plain forwarding).
set arrow 1 from graph 0, first 1.0 to graph 1, first 1.0 nohead lc rgb "#222222" lw 1.5 dt 1
set label 1 "tcfw target 1.0" at graph 1.01, first 1.0 left tc rgb "#c0392b" font ",9"
set label 2 "plain = 1.0" at graph 1.01, first 1.03 left tc rgb "#222222" font ",9"
set rmargin 30
# One colour per configuration, in column order (report.py passes them by configuration name).
if (!exists("colors")) colors = "#7f8c8d #2e86c1 #e67e22 #1b4f72 #a04000 #27ae60 #8e44ad"
plot for [i=1:nconfigs] datafile using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) \
	title columnheader(3*i-1) lc rgb word(colors, i)
