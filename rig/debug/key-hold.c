/* key-hold: keep a VM and a task perf event open in a daemon, so that the kernel's
 * preempt_notifier_key and perf_sched_events static keys never drop to 0 (experiment). */
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct perf_event_attr a;
	int kvm, vm, pe;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid > 0) {
		sleep(1);
		printf("key-hold: holder %d started\n", pid);
		return 0;
	}
	setsid();
	kvm = open("/dev/kvm", O_RDWR);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	pe = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	fprintf(stderr, "key-hold: vm %d, perf event %d\n", vm, pe);
	for (;;)
		pause();
}
