/**
 * @module
 * Configuration files for the IRC servers the benchmark compares against, each written to a temp
 * directory for one run: listen on 127.0.0.1 at the given port, no DNS or ident lookups, room for
 * every benchmark client from one address, send queues of 1 MiB (framechat's default), and every
 * flood limit lifted. docs/PERFORMANCE.md lists the same settings in prose.
 */

export interface IrcConfigInput {
  port: number;
  /** Directory for the config, pid and log files (writable by the server's user). */
  dir: string;
  /** Most clients the run will connect. */
  maxClients: number;
}

const SERVER_NAME = 'bench.framechat.invalid';
/** Password of the IRC operator block that ngIRCd talkers use to set user mode +F. */
export const OPER_PASSWORD = 'bench';

/** InspIRCd 3: one connect class with fake lag off and a command rate no client can reach. */
export function inspircdConfig({ port, dir, maxClients }: IrcConfigInput): string {
  const room = maxClients + 1000;
  return `<server name="${SERVER_NAME}" description="framechat bench" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="*"
         timeout="60" pingfreq="600" maxchans="50"
         hardsendq="1048576" softsendq="1048576" recvq="65536"
         fakelag="no" threshold="1000000" commandrate="1000000000"
         localmax="${room}" globalmax="${room}" limit="${room}" maxconnwarn="no"
         resolvehostnames="no" useident="no">
<performance softlimit="${room}" somaxconn="4096" netbuffersize="10240">
<channels users="50" opers="50">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="sparse" target="${dir}/inspircd.log">
<whowas groupsize="0" maxgroups="0" maxkeep="0">
`;
}

/**
 * ngIRCd 26: MaxPenaltyTime = 0 removes the penalty delays; it still handles at most 3 commands
 * per client per loop, 10 with user mode +F, which only an operator may set, so talkers OPER and
 * set +F (see targets.ts).
 */
export function ngircdConfig({ port }: IrcConfigInput): string {
  return `[Global]
Name = ${SERVER_NAME}
Info = framechat bench
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = framechat bench

[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 16
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600

[Options]
DNS = no
Ident = no
PAM = no

[Operator]
Name = bench
Password = ${OPER_PASSWORD}
`;
}

/**
 * ircd-hybrid 8.2: an auth block with can_flood (no lines-per-second limit) and exceed_limit,
 * connection throttling off, no ident.
 */
export function hybridConfig({ port, dir, maxClients }: IrcConfigInput, modulesDir: string): string {
  const room = maxClients + 1000;
  return `serverinfo {
	name = "${SERVER_NAME}";
	sid = "0FC";
	description = "framechat bench";
	network_name = "bench";
	hub = no;
	default_max_clients = ${room};
	max_nick_length = 16;
};
admin { name = "bench"; description = "bench"; email = "<bench@localhost>"; };
class {
	name = "users";
	ping_time = 10 minutes;
	number_per_ip_local = ${room};
	number_per_ip_global = ${room};
	cidr_bitlen_ipv4 = 32;
	number_per_cidr = ${room};
	max_number = ${room};
	sendq = 1 megabyte;
	recvq = 65536 bytes;
};
listen { host = "127.0.0.1"; port = ${port}; };
auth { user = "*@*"; class = "users"; flags = exceed_limit, can_flood, no_tilde; };
channel { max_channels = 50; };
general {
	disable_auth = yes;
	throttle_count = 1000000;
	throttle_time = 0 seconds;
	ping_cookie = no;
	anti_nick_flood = no;
	max_targets = 100;
	short_motd = yes;
};
modules {
	path = "${modulesDir}";
	path = "${modulesDir}/autoload";
};
log { use_logging = yes; file { type = user; name = "${dir}/hybrid-user.log"; size = 10 megabytes; }; };
`;
}
